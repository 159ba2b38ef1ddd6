// What a user imports (Import > Examples, or a shipped flow) must open in the editor without a red triangle.
// Node-RED's import fills in no missing setting, so every setting the runtime takes as its default when missing
// or empty must pass the editor's checks when missing too. The editor's
// definitions are run here as the editor runs them, with RED.validators as Node-RED 4.1's editor has them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
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

/** Each Plantwire node type's editor `defaults`, from its .html as the editor registers it. */
const EDITOR = new Map(
  NODE_PACKAGES.flatMap((pkg) =>
    pkg.types.map((type) => {
      const html = readFileSync(join(pkg.dir, 'src', 'nodes', type, `${type}.html`), 'utf8');
      const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)![1]!;
      let defaults: Record<string, Property> = {};
      const anything: unknown = new Proxy(() => anything, { get: () => anything, apply: () => anything });
      const RED = {
        nodes: {
          registerType: (name: string, def: { defaults: Record<string, Property> }) =>
            (defaults = def.defaults),
        },
        validators,
        settings: anything,
        _: (key: string) => key,
      };
      new Function('RED', '$', script)(RED, anything);
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

  it.each(FLOW_FILES.map((file) => [relative(ROOT, file), file]))(
    'opens %s with every node valid',
    (_name, file) => {
      const nodes = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
      expect(nodes.flatMap(problems)).toEqual([]);
    },
  );
});
