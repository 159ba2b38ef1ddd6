// Who may publish and subscribe where on the plant broker: one set of rules for the demo's aedes broker
// (authenticate / authorizePublish / authorizeSubscribe) and, written out as an ACL file, for mosquitto.
// A device (an edge, the WAN link) publishes only under its own v1/{tenant}/{plant}/ and reads only that plant's
// cmd topic; a tenant's service (the cloud) reads all of its tenant and publishes only commands.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface MqttAccount {
  username: string;
  password: string;
  role: 'device' | 'service';
  tenant: string;
  /** A device's plant. */
  plant?: string;
}

export interface MqttPermissions {
  publish: string[];
  subscribe: string[];
}

export function permissionsOf(account: MqttAccount): MqttPermissions {
  const { tenant, plant, role } = account;
  if (role === 'service') return { publish: [`v1/${tenant}/+/cmd`], subscribe: [`v1/${tenant}/#`] };
  if (!plant) throw new Error(`MQTT account ${account.username}: a device needs its plant`);
  return { publish: [`v1/${tenant}/${plant}/#`], subscribe: [`v1/${tenant}/${plant}/cmd`] };
}

/** Whether the topic filter `inner` only ever matches topics `outer` matches (a topic is a filter too). */
export function filterWithin(inner: string, outer: string): boolean {
  const a = inner.split('/');
  const b = outer.split('/');
  for (let i = 0; i < a.length; i++) {
    if (b[i] === '#') return true;
    if (b[i] === undefined) return false;
    if (a[i] === '#') return false;
    if (b[i] === '+') continue;
    if (a[i] === '+' || a[i] !== b[i]) return false;
  }
  // As in MQTT itself, "a/#" also matches "a".
  return a.length === b.length || (b.length === a.length + 1 && b[a.length] === '#');
}

export function mayPublish(account: MqttAccount, topic: string): boolean {
  return permissionsOf(account).publish.some((allowed) => filterWithin(topic, allowed));
}

export function maySubscribe(account: MqttAccount, filter: string): boolean {
  return permissionsOf(account).subscribe.some((allowed) => filterWithin(filter, allowed));
}

/** The account whose password this is, compared without leaking timing; undefined when none. */
export function authenticate(
  accounts: MqttAccount[],
  username: unknown,
  password: unknown,
): MqttAccount | undefined {
  const account = accounts.find((a) => a.username === username);
  const given = Buffer.isBuffer(password) || typeof password === 'string' ? String(password) : '';
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (!account) return undefined;
  return timingSafeEqual(digest(given), digest(account.password)) ? account : undefined;
}

/** The same rules as a mosquitto acl_file: one `user` block per account, nothing for anonymous clients. */
export function mosquittoAcl(accounts: MqttAccount[]): string {
  const blocks = accounts.map((account) => {
    const { publish, subscribe } = permissionsOf(account);
    return [
      `user ${account.username}`,
      ...publish.map((topic) => `topic write ${topic}`),
      ...subscribe.map((topic) => `topic read ${topic}`),
    ].join('\n');
  });
  return `# Plantwire MQTT ACL: devices publish under their own plant and read its cmd topic only.\n${blocks.join('\n\n')}\n`;
}
