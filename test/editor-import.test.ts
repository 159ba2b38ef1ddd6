// What a user imports (Import > Examples, or a shipped flow) must open in the editor without a red triangle.
// Node-RED's import fills in no missing setting, so every setting the runtime takes as its default when missing
// or empty must pass the editor's checks when missing too. The editor's
// definitions are run here as the editor runs them, with RED.validators as Node-RED 4.1's editor has them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isIdentifier } from '@plantwire/telemetry';
import { telemetryTableDdl } from '../packages/nodes-ingest/src/core/telemetry-writer.js';
import { isTopicName } from '../packages/nodes-kafka/src/core/topic-name.js';
import { Forecaster, FORECASTER_DEFAULTS } from '../packages/nodes-rules/src/core/forecast/forecaster.js';
import { NODE_PACKAGES, ROOT } from './install.js';

interface Property {
  required?: boolean;
  validate?: (this: Record<string, unknown>, value: unknown) => boolean | string;
}

/** @node-red/editor-client's RED.validators.number and regex (the checks they make, without the messages). */
const NUMBER =
  /^NaN$|^[+-]?[0-9]*\.?[0-9]*([eE][-+]?[0-9]+)?$|^[+-]?(0b|0B)[01]+$|^[+-]?(0o|0O)[0-7]+$|^[+-]?(0x|0X)[0-9a-fA-F]+$/;
const validators = {
  number: (blankAllowed?: boolean) => (v: unknown) =>
    (blankAllowed && (v === '' || v === undefined)) ||
    (v !== '' && (NUMBER.test(String(v)) || /^\${[^}]+}$/.test(String(v)))) ||
    !isNaN(v as number),
  regex: (re: RegExp) => (v: unknown) => re.test(v as string),
};

const anything: unknown = new Proxy(() => anything, { get: () => anything, apply: () => anything });
/** jQuery with no edit dialog open (as on import): a check that reads another field's input takes the node's value. */
const noDialog = () => ({ length: 0 });

/** RED.settings as the runtime exports them to the editor: what each built node registers its type with. */
const SETTINGS: Record<string, unknown> = {};
for (const pkg of NODE_PACKAGES)
  for (const type of pkg.types) {
    const register = createRequire(import.meta.url)(join(pkg.dir, 'dist', 'nodes', type, `${type}.js`)) as (
      RED: unknown,
    ) => void;
    const registerType = (_type: string, _constructor: unknown, options?: { settings?: object }) => {
      for (const [name, setting] of Object.entries(options?.settings ?? {}))
        SETTINGS[name] = (setting as { value: unknown }).value;
    };
    register(
      new Proxy(
        {
          nodes: new Proxy(
            { registerType },
            { get: (t, k) => (k === 'registerType' ? registerType : anything) },
          ),
        },
        { get: (t, k) => (k === 'nodes' ? t.nodes : anything) },
      ),
    );
  }

/** The number check the build puts before every node's definition (it defines window.plantwireNumber). */
const window: { plantwireNumber?: unknown } = {};
new Function(
  'window',
  readFileSync(join(ROOT, 'packages', 'node-shell', 'editor', 'plantwire-number.js'), 'utf8'),
)(window);

/** Each Plantwire node type's editor `defaults`, from its .html as the editor registers it. */
const EDITOR = new Map(
  NODE_PACKAGES.flatMap((pkg) =>
    pkg.types.map((type) => {
      const html = readFileSync(join(pkg.dir, 'src', 'nodes', type, `${type}.html`), 'utf8');
      const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)![1]!;
      let defaults: Record<string, Property> = {};
      const RED = {
        nodes: {
          registerType: (name: string, def: { defaults: Record<string, Property> }) =>
            (defaults = def.defaults),
        },
        validators,
        settings: SETTINGS,
        _: (key: string) => key,
      };
      new Function('RED', '$', 'plantwireNumber', script)(RED, noDialog, window.plantwireNumber);
      return [type, defaults] as const;
    }),
  ),
);

const FLOW_FILES = [
  ...NODE_PACKAGES.flatMap((pkg) => {
    const dir = join(pkg.dir, 'examples');
    return existsSync(dir) ? readdirSync(dir).map((file) => join(dir, file)) : [];
  }),
  ...['flows', join('examples', 'scale-out')].flatMap((dir) =>
    readdirSync(join(ROOT, dir)).map((file) => join(ROOT, dir, file)),
  ),
].filter((file) => file.endsWith('.json'));

/** What the editor would mark on this node: each setting that fails its check, with the value it has. */
function problems(node: Record<string, unknown>): string[] {
  const defaults = EDITOR.get(node.type as string) ?? {};
  return Object.entries(defaults).flatMap(([key, property]) => {
    const value = node[key];
    const missing = property.required && (value === '' || value === undefined);
    const valid = !missing && (!property.validate || property.validate.call(node, value) === true);
    return valid ? [] : [`${node.id as string} (${node.type as string}): ${key} = ${JSON.stringify(value)}`];
  });
}

describe('the editor, on what a user imports', () => {
  it('reads every Plantwire node type', () => {
    expect(EDITOR.size).toBe(NODE_PACKAGES.flatMap((pkg) => pkg.types).length);
    for (const defaults of EDITOR.values()) expect(Object.keys(defaults).length).toBeGreaterThan(1);
  });

  it("refuses a number the runtime's spec refuses, with the deploy's message; empty and ${NAME} pass", () => {
    const check = (type: string, key: string, value: unknown) =>
      EDITOR.get(type)![key]!.validate!.call(
        { _: (text: string, params: object) => `${text} ${JSON.stringify(params)}` },
        value,
      );
    expect(check('store-forward', 'maxRows', '0')).toMatch(
      /^node-shell\.setting\.integer {"setting":"maxRows","value":"\\"0\\"","min":1,/,
    );
    expect(check('store-forward', 'maxRows', '2.5')).toMatch(/^node-shell\.setting\.integer /);
    expect(check('store-forward', 'ackTimeoutS', '0.05')).toMatch(/^node-shell\.setting\.numberRange /);
    expect(check('store-forward', 'minFreeMB', 'Infinity')).toMatch(/^node-shell\.setting\.number /);
    // Node-RED substitutes ${NAME} only as the whole value: with spaces it reaches the deploy as text.
    expect(check('store-forward', 'maxRows', ' ${MAX_ROWS}')).toMatch(/^node-shell\.setting\.integer /);
    expect(check('machine-sim', 'machinesPerLine', '0')).toMatch(/^node-shell\.setting\.integerRange /);
    expect(check('machine-sim', 'interval', '7200')).toMatch(/^node-shell\.setting\.numberRange /);
    expect(check('machine-sim', 'interval', '0.5')).toBe(true);
    expect(check('telemetry-validate', 'plant', 'Plant 1')).toBe(false);
    expect(check('telemetry-validate', 'plant', 'plant-1')).toBe(true);
    expect(check('questdb-query', 'minutes', '600000')).toMatch(/^node-shell\.setting\.integerRange /);
    expect(check('store-forward', 'maxRows', 'many')).toMatch(/^node-shell\.setting\.integer /);
    // Plain decimal only, as the deploy takes it.
    for (const value of ['0x10', '0b1', true, [5]])
      expect(check('store-forward', 'maxRows', value), JSON.stringify(value)).toMatch(
        /^node-shell\.setting\.integer /,
      );
    expect(check('store-forward', 'maxRows', '1e3')).toBe(true);
    expect(check('kafka-config', 'brokers', 'kafka-1:9092, [::1]:9093')).toBe(true);
    for (const brokers of ['kafka-1:0', 'kafka-1:99999', 'kafka-1', ''])
      expect(check('kafka-config', 'brokers', brokers), brokers).toBe(false);
    for (const value of ['', undefined, '${MAX_ROWS}', '1', 1])
      expect(check('store-forward', 'maxRows', value)).toBe(true);
  });

  /** The editor's check of `type`.`key` on `node`'s settings, its message as `<key> <params>`. */
  const checkOn = (type: string, key: string, value: unknown, node: Record<string, unknown> = {}) =>
    EDITOR.get(type)![key]!.validate!.call(
      { ...node, _: (text: string, params?: object) => `${text} ${JSON.stringify(params ?? {})}` },
      value,
    );

  it("refuses a Kafka topic the deploy refuses (isTopicName), with the deploy's message", () => {
    const names = ['plantwire-points', 'line_1.points', 'A', '...', 'x'.repeat(249)];
    const refused = ['plant points', 'a/b', 'zähler', 'x'.repeat(250), '.', '..', 'topic\n', '${}'];
    for (const type of ['kafka-produce', 'kafka-consume']) {
      for (const name of [...names, ...refused])
        expect(checkOn(type, 'topic', name) === true, `${type} topic ${JSON.stringify(name)}`).toBe(
          isTopicName(name),
        );
      expect(checkOn(type, 'topic', 'plant points')).toBe(
        `${type}.errors.badTopic {"value":"\\"plant points\\""}`,
      );
      expect(checkOn(type, 'topic', '${KAFKA_TOPIC}')).toBe(true);
    }
  });

  it("refuses a plant-report tenant, plant or line the deploy refuses (isIdentifier), with the deploy's message", () => {
    const values = [
      'acme',
      'plant-01',
      'L1.a_b',
      'x'.repeat(64),
      'x'.repeat(65),
      'Plant 1',
      '-plant',
      'a/b',
      'zähler',
    ];
    for (const key of ['tenant', 'plant', 'line'])
      for (const value of values)
        expect(checkOn('plant-report', key, value) === true, `${key} ${JSON.stringify(value)}`).toBe(
          isIdentifier(value),
        );
    expect(checkOn('plant-report', 'tenant', 'ACME Corp')).toBe('plant-report.errors.noTenant {}');
    expect(checkOn('plant-report', 'plant', 'plant 1')).toBe('plant-report.errors.noPlant {}');
    expect(checkOn('plant-report', 'line', 'line/1')).toBe('plant-report.errors.badLine {}');
    // An empty line is every line; ${NAME} is an environment variable.
    for (const value of ['', undefined]) expect(checkOn('plant-report', 'line', value)).toBe(true);
    expect(checkOn('plant-report', 'plant', '${PLANT}')).toBe(true);
  });

  it("refuses a questdb-write TTL that does not fit its partitions, as the deploy does, with the deploy's rule", () => {
    for (const partitionBy of ['HOUR', 'DAY', 'WEEK', 'MONTH', 'YEAR'] as const)
      for (const ttlDays of [0, 1, 3, 7, 14, 30, 365]) {
        const deploys = (() => {
          try {
            telemetryTableDdl({ name: 'plantwire_telemetry', partitionBy, ttlDays });
            return true;
          } catch {
            return false;
          }
        })();
        const node = { mode: 'telemetry', partitionBy };
        expect(
          checkOn('questdb-write', 'ttlDays', String(ttlDays), node) === true,
          `${ttlDays} ${partitionBy}`,
        ).toBe(deploys);
      }
    expect(checkOn('questdb-write', 'ttlDays', '30', { mode: 'telemetry', partitionBy: 'MONTH' })).toBe(
      'questdb-write.errors.ttlDays {"days":30,"partitionBy":"MONTH"}',
    );
    // The number's own rule first; empty is 0 (keep all); the partitions are those of the default, DAY, when unset.
    expect(checkOn('questdb-write', 'ttlDays', '-1', { partitionBy: 'DAY' })).toMatch(
      /^node-shell\.setting\.integer /,
    );
    expect(checkOn('questdb-write', 'ttlDays', '', { mode: 'telemetry', partitionBy: 'MONTH' })).toBe(true);
    expect(checkOn('questdb-write', 'ttlDays', '3', {})).toBe(true);
    expect(checkOn('questdb-write', 'ttlDays', '3', { partitionBy: 'WEEK' })).toMatch(/errors\.ttlDays/);
    // Only the telemetry table has a TTL: events and plain objects ignore it.
    for (const mode of ['events', 'generic'])
      expect(checkOn('questdb-write', 'ttlDays', '30', { mode, partitionBy: 'MONTH' })).toBe(true);
  });

  it("refuses forecast failure limits the deploy refuses (Forecaster), with the deploy's message", () => {
    const limits = [
      '{}',
      '{"vibration": 7.1, "press-*/vibration": 9.5}',
      '{"vibration": "high"}',
      '{"vibration": null}',
      '{"vibration": true}',
      '{"line-01/cnc-01/vibration": 9}',
      '{"cnc 01/vibration": 9}',
      '{"cnc-01//vibration": 9}',
      '{"": 9}',
    ];
    for (const key of ['machine/metric', 'line/machine/metric'] as const)
      for (const text of limits) {
        const deploys = (() => {
          try {
            new Forecaster({
              ...FORECASTER_DEFAULTS,
              key,
              limits: JSON.parse(text) as Record<string, number>,
            });
            return true;
          } catch {
            return false;
          }
        })();
        expect(checkOn('forecast', 'limits', text, { key }) === true, `${key} ${text}`).toBe(deploys);
      }
    expect(checkOn('forecast', 'limits', '{"vibration": "high"}', { key: 'machine/metric' })).toBe(
      'forecast.errors.limits {"got":"{\\"vibration\\": \\"high\\"}"}',
    );
    // Empty is no limits; not an object is refused; the key is the default (machine/metric) when unset.
    for (const text of ['', undefined, '  ']) expect(checkOn('forecast', 'limits', text, {})).toBe(true);
    for (const text of ['[1]', 'null', '7', '{'])
      expect(checkOn('forecast', 'limits', text, {})).toMatch(/^forecast\.errors\.limits /);
    expect(checkOn('forecast', 'limits', '{"line-01/cnc-01/vibration": 9}', {})).toMatch(/errors\.limits/);
  });

  it.each(FLOW_FILES.map((file) => [relative(ROOT, file), file]))(
    '%s: every Plantwire node carries only settings its editor has',
    (_name, file) => {
      // A setting the node does not have (one of another node, say) is kept and exported again, unused, and
      // tells the user something the node does not do.
      const layout = ['id', 'type', 'z', 'g', 'name', 'x', 'y', 'w', 'h', 'wires', 'l', 'info', 'd'];
      const nodes = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
      const unknown = nodes
        .filter((node) => EDITOR.has(node.type as string))
        .flatMap((node) =>
          Object.keys(node)
            .filter((key) => !layout.includes(key) && !(key in EDITOR.get(node.type as string)!))
            .map((key) => `${node.id as string} (${node.type as string}): ${key}`),
        );
      expect(unknown).toEqual([]);
    },
  );

  it.each(FLOW_FILES.map((file) => [relative(ROOT, file), file]))(
    '%s: telemetry goes to plantwire_telemetry, where the dashboards and reports read it',
    (_name, file) => {
      // Not `telemetry`: QuestDB keeps a hidden table of that name of its own (docs/architecture.md).
      const nodes = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
      const elsewhere = nodes
        .filter((node) => node.type === 'questdb-write' && (node.mode ?? 'telemetry') === 'telemetry')
        .filter((node) => !['', undefined, 'plantwire_telemetry'].includes(node.table as string))
        .map((node) => `${node.id as string}: ${String(node.table)}`);
      expect(elsewhere).toEqual([]);
    },
  );

  it.each(FLOW_FILES.map((file) => [relative(ROOT, file), file]))(
    'opens %s with every node valid',
    (_name, file) => {
      const nodes = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
      expect(nodes.flatMap(problems)).toEqual([]);
    },
  );
});
