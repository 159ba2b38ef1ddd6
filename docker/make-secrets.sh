#!/bin/sh
# First start of docker/compose.yaml: makes the plant broker's passwords and the ingest token, in volumes, never
# in the repository. One password per `user` of the ACL file (docker/mosquitto.acl, the single list of accounts),
# hashed into mosquitto's password file by mosquitto_passwd; the clear ones stay in the secrets volume, one file
# per user, for the one-shot deploy of the flows (Node-RED keeps them as its nodes' credentials). Once made, they
# are kept: run it again and nothing changes. The paths are settings so a test can run it outside a container.
set -eu
acl=${PLANTWIRE_MQTT_ACL:-/mosquitto/config/acl}
passwd=${PLANTWIRE_MQTT_PASSWORD_FILE:-/mosquitto/auth/passwd}
secrets=${PLANTWIRE_SECRETS:-/secrets}

secret() { head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# mosquitto reads the password file after dropping to its own user: its folder stays open, the file is its own.
mkdir -p "$(dirname "$passwd")"
umask 077
mkdir -p "$secrets/mqtt"
[ -s "$secrets/ingest-token" ] || secret >"$secrets/ingest-token"
[ -f "$passwd" ] || : >"$passwd"
for user in $(sed -n 's/^user \([^ ]*\)$/\1/p' "$acl"); do
  [ -s "$secrets/mqtt/$user" ] && grep -q "^$user:" "$passwd" && continue
  secret >"$secrets/mqtt/$user"
  mosquitto_passwd -b "$passwd" "$user" "$(cat "$secrets/mqtt/$user")"
  echo "made the MQTT account $user"
done
if id mosquitto >/dev/null 2>&1; then chown mosquitto:mosquitto "$passwd"; fi
