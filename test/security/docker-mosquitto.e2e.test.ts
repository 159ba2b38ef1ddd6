// docker/compose.yaml's plant broker, without Docker: Debian's mosquitto runs the committed docker/mosquitto.conf
// (only its port and paths moved into a temporary folder) with the committed ACL file and the passwords that
// docker/make-secrets.sh makes at a first start, handed on by scripts/deploy-flows.mjs as compose runs it.
// Anonymous clients are refused, a device publishes only in its own tree and reads only its plant's cmd topic.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  freePort,
  mosquittoBinary,
  mqttClients,
  sleep,
  startProcess,
  waitFor,
  waitForPort,
  type ManagedProcess,
} from '@plantwire/testkit';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docker = join(root, 'docker');
const committedConf = readFileSync(join(docker, 'mosquitto.conf'), 'utf8');
/** The paths the committed config names, which compose's mounts must provide. */
const confPath = (key: string) => new RegExp(`^${key} (\\S+)$`, 'm').exec(committedConf)?.[1];
/** The default of one of make-secrets.sh's path settings: where it writes inside its container. */
const scriptDefault = (name: string) =>
  new RegExp(`\\$\\{${name}:-([^}]+)\\}`).exec(readFileSync(join(docker, 'make-secrets.sh'), 'utf8'))?.[1];

type Service = {
  image?: string;
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: string[] | Record<string, { condition: string }>;
  entrypoint?: string[];
};
const compose = parse(readFileSync(join(docker, 'compose.yaml'), 'utf8')) as {
  services: Record<string, Service>;
};
/** A service's bind mounts and volumes as container path -> source. */
const mounts = (service: string) =>
  Object.fromEntries(
    (compose.services[service]?.volumes ?? []).map((volume) => {
      const [source, target] = volume.split(':');
      return [target!, source!];
    }),
  );

describe("docker/compose.yaml's broker config, files and wiring", () => {
  it('the config refuses anonymous clients and names a password file and the ACL file', () => {
    expect(committedConf).toMatch(/^allow_anonymous false$/m);
    expect(confPath('password_file')).toBeDefined();
    expect(confPath('acl_file')).toBeDefined();
  });

  it('mounts the config, the committed ACL and the made password file where the config and the script expect them', () => {
    const broker = mounts('mosquitto');
    expect(broker['/mosquitto/config/mosquitto.conf']).toBe('./mosquitto.conf');
    expect(broker[confPath('acl_file')!]).toBe('./mosquitto.acl');
    const authVolume = broker[dirname(confPath('password_file')!)];
    expect(authVolume).toMatch(/^[a-z-]+$/); // a named volume, not a file of the repository
    expect(compose.services.mosquitto?.depends_on).toMatchObject({
      'make-secrets': { condition: 'service_completed_successfully' },
    });

    const maker = mounts('make-secrets');
    expect(compose.services['make-secrets']?.entrypoint).toEqual(['sh', '/make-secrets.sh']);
    expect(maker['/make-secrets.sh']).toBe('./make-secrets.sh');
    expect(maker[scriptDefault('PLANTWIRE_MQTT_ACL')!]).toBe('./mosquitto.acl');
    expect(scriptDefault('PLANTWIRE_MQTT_PASSWORD_FILE')).toBe(confPath('password_file'));
    expect(maker[dirname(scriptDefault('PLANTWIRE_MQTT_PASSWORD_FILE')!)]).toBe(authVolume);
    const secretsVolume = maker[scriptDefault('PLANTWIRE_SECRETS')!];
    expect(secretsVolume).toMatch(/^[a-z-]+$/);

    // The deploy reads the clear passwords from the same volume, one account per Node-RED, each in the ACL.
    const deploy = compose.services['deploy-flows']!;
    const secretsAt = deploy.environment!.PLANTWIRE_SECRETS!;
    expect(mounts('deploy-flows')[secretsAt]).toBe(secretsVolume);
    const users = [...readFileSync(join(docker, 'mosquitto.acl'), 'utf8').matchAll(/^user (\S+)$/gm)].map(
      (m) => m[1],
    );
    expect(users).toEqual([
      deploy.environment!.PLANTWIRE_EDGE_MQTT_USER,
      deploy.environment!.PLANTWIRE_CLOUD_MQTT_USER,
    ]);
    expect(readFileSync(join(docker, 'compose.yaml'), 'utf8')).not.toMatch(/PASSWORD|INGEST_TOKEN:/);
  });

  it('runs both Node-REDs for the plant the ACL is written for (their topics follow PLANTWIRE_TENANT and PLANTWIRE_PLANT)', () => {
    const acl = readFileSync(join(docker, 'mosquitto.acl'), 'utf8');
    const block = (user: string) =>
      acl.split(/\n(?=user )/).find((b) => b.startsWith(`user ${user}\n`)) ?? '';
    const env = (service: string) => compose.services[service]!.environment!;
    const deploy = env('deploy-flows');
    const { PLANTWIRE_TENANT: tenant, PLANTWIRE_PLANT: plant } = env('edge');
    expect(tenant).toMatch(/^[a-z0-9-]+$/);
    expect(plant).toMatch(/^[a-z0-9-]+$/);
    expect(env('cloud')).toMatchObject({ PLANTWIRE_TENANT: tenant, PLANTWIRE_PLANT: plant });
    expect(deploy.PLANTWIRE_TENANT).toBe(tenant);
    expect(block(deploy.PLANTWIRE_EDGE_MQTT_USER!)).toContain(`topic write v1/${tenant}/${plant}/#`);
    expect(block(deploy.PLANTWIRE_EDGE_MQTT_USER!)).toContain(`topic read v1/${tenant}/${plant}/cmd`);
    expect(block(deploy.PLANTWIRE_CLOUD_MQTT_USER!)).toContain(`topic read v1/${tenant}/#`);
  });
});

describe('the committed mosquitto.conf, ACL and make-secrets.sh in Debian mosquitto', () => {
  let dir: string;
  let broker: ManagedProcess;
  let url: string;
  let passwords: Record<string, string>;
  const { as, inbox, endAll } = mqttClients(
    () => url,
    (username) => passwords[username],
  );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plantwire-docker-mosquitto-'));
    chmodSync(dir, 0o755); // mosquitto drops to its own user before it reads the files
    const acl = join(dir, 'config', 'acl');
    mkdirSync(dirname(acl));
    copyFileSync(join(docker, 'mosquitto.acl'), acl);
    const env = {
      ...process.env,
      PLANTWIRE_MQTT_ACL: acl,
      PLANTWIRE_MQTT_PASSWORD_FILE: join(dir, 'auth', 'passwd'),
      PLANTWIRE_SECRETS: join(dir, 'secrets'),
    };
    const firstStart = execFileSync('sh', [join(docker, 'make-secrets.sh')], { env, encoding: 'utf8' });
    expect(firstStart).toMatch(/made the MQTT account edge-plant-01/);
    // A second start keeps what the first made.
    const made = readFileSync(env.PLANTWIRE_MQTT_PASSWORD_FILE, 'utf8');
    expect(execFileSync('sh', [join(docker, 'make-secrets.sh')], { env, encoding: 'utf8' })).toBe('');
    expect(readFileSync(env.PLANTWIRE_MQTT_PASSWORD_FILE, 'utf8')).toBe(made);

    // The accounts as the deploy container hands them to the Node-REDs (compose's environment).
    const { secretsFromEnv } = (await import(
      pathToFileURL(join(root, 'scripts', 'deploy-flows.mjs')).href
    )) as { secretsFromEnv: (env: Record<string, string | undefined>) => SecretsOfDeploy };
    const deployEnv = compose.services['deploy-flows']!.environment!;
    const secrets = secretsFromEnv({ ...deployEnv, PLANTWIRE_SECRETS: env.PLANTWIRE_SECRETS });
    expect(secrets.token).toMatch(/^[0-9a-f]{36}$/);
    passwords = Object.fromEntries(
      Object.values(secrets.mqtt).map((account) => [account!.user, account!.password]),
    );
    expect(Object.keys(passwords)).toEqual(['edge-plant-01', 'cloud-acme']);
    for (const password of Object.values(passwords)) expect(made).not.toContain(password);

    const port = await freePort();
    url = `mqtt://127.0.0.1:${port}`;
    let conf = committedConf;
    for (const [from, to] of [
      [/^listener 1883$/m, `listener ${port} 127.0.0.1`],
      [/^password_file .*$/m, `password_file ${env.PLANTWIRE_MQTT_PASSWORD_FILE}`],
      [/^acl_file .*$/m, `acl_file ${acl}`],
    ] as const) {
      expect(conf).toMatch(from);
      conf = conf.replace(from, to);
    }
    writeFileSync(join(dir, 'mosquitto.conf'), conf);
    broker = startProcess(mosquittoBinary(), ['-c', join(dir, 'mosquitto.conf')]);
    await waitForPort(port, '127.0.0.1', 10_000);
  });
  afterAll(async () => {
    endAll();
    await broker?.stop('SIGTERM', 5_000);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses anonymous clients and wrong passwords', async () => {
    await expect(connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(
      /Not authorized/,
    );
    await expect(as('edge-plant-01', 'guess')).rejects.toThrow(/Not authorized|Bad username or password/);
    await expect(as('cloud-acme', passwords['edge-plant-01'])).rejects.toThrow(/Not authorized|Bad user/);
  });

  it('a device publishes only in its own tree', async () => {
    const cloud = await as('cloud-acme');
    const seen = inbox(cloud);
    await cloud.subscribeAsync('v1/acme/#', { qos: 1 });
    const device = await as('edge-plant-01');
    for (const topic of [
      'v1/acme/plant-02/line-01/cnc-01/temperature',
      'v1/globex/plant-01/line-01/cnc-01/temperature',
      'v1/acme/plant-010/line-01/cnc-01/temperature',
      'v1/acme/plant-01/line-01/cnc-01/temperature',
    ]) {
      await device.publishAsync(topic, '1', { qos: 1 });
    }
    await waitFor('its own point', async () => seen.length > 0 || undefined, 5000);
    await sleep(500);
    expect(seen).toEqual(['v1/acme/plant-01/line-01/cnc-01/temperature']);
  });

  it("a device reads only its own plant's cmd topic", async () => {
    const device = await as('edge-plant-01');
    const got = inbox(device);
    for (const filter of ['v1/acme/plant-02/cmd', 'v1/acme/+/cmd', '#', 'v1/acme/plant-01/cmd']) {
      await device.subscribeAsync(filter, { qos: 1 });
    }
    const cloud = await as('cloud-acme');
    await cloud.publishAsync('v1/acme/plant-02/cmd', 'for plant 2', { qos: 1 });
    await cloud.publishAsync('v1/acme/plant-01/cmd', 'for plant 1', { qos: 1 });
    await waitFor('its own command', async () => got.length > 0 || undefined, 5000);
    await sleep(500);
    expect([...new Set(got)]).toEqual(['v1/acme/plant-01/cmd']);
  });
});

interface SecretsOfDeploy {
  token?: string;
  mqtt: Record<'edge' | 'cloud', { user: string; password: string } | undefined>;
}
