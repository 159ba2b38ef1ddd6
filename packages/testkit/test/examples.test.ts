import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { shippedExamples } from '../src/index.js';

// Node-RED takes any string property that equals a node id for a reference to that node: an id such as
// "mqtt-broker" on a node of type mqtt-broker makes it depend on itself, and the flow silently loses the node.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const flowFiles = [
  ...shippedExamples(),
  ...readdirSync(join(root, 'flows'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(root, 'flows', f)),
];

describe('shipped flows (examples and flows/)', () => {
  it('exist', () => {
    expect(flowFiles.length).toBeGreaterThan(5);
  });

  it.each(flowFiles.map((file) => [file.slice(root.length)]))(
    '%s: no node id is also a property value of a node',
    (file) => {
      const flow = JSON.parse(readFileSync(join(root, file), 'utf8')) as Record<string, unknown>[];
      const ids = new Set(flow.map((node) => node.id as string));
      const clashes = flow.flatMap((node) =>
        Object.entries(node)
          .filter(
            ([key, value]) =>
              key !== 'id' && key !== 'z' && key !== 'wires' && typeof value === 'string' && ids.has(value),
          )
          // Real references: config nodes, and Dashboard 2.0's base, theme, page and group.
          .filter(
            ([key]) =>
              !['server', 'broker', 'cluster', 'mydb', 'influxdb', 'ui', 'theme', 'page', 'group'].includes(
                key,
              ),
          )
          .map(([key, value]) => `${String(node.id)}.${key} = ${String(value)}`),
      );
      expect(clashes).toEqual([]);
    },
  );
});
