// Small pieces every package's tests use: a valid telemetry point, message collection inside the test helper,
// and an HTTP endpoint that reads flow context out of a real Node-RED process.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uuidv7, type Point } from '@plantwire/telemetry';
import type { FlowNode } from './node-red.js';
import { waitFor } from './process.js';
import type { NodeRedTestHelper } from './test-helper.js';

/** A valid schema v1 point at `ts` (a UUIDv7 of that time), with any field overridden. */
export function telemetryPoint(ts: number, over: Partial<Point> = {}): Point {
  return {
    ts,
    id: uuidv7(ts),
    tenant: 'acme',
    plant: 'plant-1',
    line: 'line-1',
    machine: 'cnc-01',
    metric: 'temperature',
    value: 60 + (ts % 100) / 10,
    unit: 'degC',
    q: 100,
    ...over,
  };
}

/** Every message that reaches the helper node `id` from now on. */
/** The part of @questdb/nodejs-client's Sender that writes a telemetry row (the client is the caller's). */
export interface IlpRowSender {
  table(name: string): IlpRowSender;
  symbol(name: string, value: string): IlpRowSender;
  stringColumn(name: string, value: string): IlpRowSender;
  floatColumn(name: string, value: number): IlpRowSender;
  intColumn(name: string, value: number): IlpRowSender;
  at(ts: number, unit: 'ms'): Promise<void>;
}

/** A telemetry point as the official client writes it: the reference the ILP fast path is held to. */
export function writeWithOfficialClient(sender: IlpRowSender, table: string, p: Point): Promise<void> {
  return sender
    .table(table)
    .symbol('tenant', p.tenant)
    .symbol('plant', p.plant)
    .symbol('line', p.line)
    .symbol('machine', p.machine)
    .symbol('metric', p.metric)
    .symbol('unit', p.unit)
    .stringColumn('id', p.id)
    .floatColumn('value', p.value)
    .intColumn('q', p.q)
    .at(p.ts, 'ms');
}

export function collect(helper: NodeRedTestHelper, id: string): any[] {
  const messages: any[] = [];
  helper.getNode(id)!.on('input', ((msg: any) => messages.push(msg)) as never);
  return messages;
}

/** Waits until `check()` holds, polling every 10 ms. */
export function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<true> {
  return waitFor(what, async () => (check() ? true : undefined), timeoutMs, 10);
}

/**
 * Nodes for GET `url` answering a JSON object of the named flow-context values, to watch a flow from a test.
 * `z` is the tab the values live on.
 */
export function flowContextProbe(z: string, url: string, names: string[]): FlowNode[] {
  const id = `probe-${url.replace(/\W/g, '')}`;
  return [
    { id: `${id}-in`, z, type: 'http in', url, method: 'get', wires: [[`${id}-read`]] },
    {
      id: `${id}-read`,
      z,
      type: 'change',
      rules: [
        { t: 'set', p: 'payload', pt: 'msg', to: '{}', tot: 'json' },
        ...names.map((name) => ({ t: 'set', p: `payload.${name}`, pt: 'msg', to: name, tot: 'flow' })),
      ],
      wires: [[`${id}-out`]],
    },
    { id: `${id}-out`, z, type: 'http response', wires: [] },
  ];
}

/** A function node that adds the length of each msg.payload array to a flow-context counter. */
export function flowCounter(z: string, id: string, name: string): FlowNode {
  return {
    id,
    z,
    type: 'function',
    func: `flow.set('${name}', (flow.get('${name}') || 0) + (Array.isArray(msg.payload) ? msg.payload.length : 1));\nreturn null;`,
    outputs: 0,
    wires: [],
  };
}

/** The repository root (testkit runs from its sources in tests and from dist in scripts: both are two levels down). */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Every shipped example flow of every package, packages/<package>/examples/*.json, as absolute paths. */
export function shippedExamples(root = ROOT): string[] {
  return readdirSync(join(root, 'packages')).flatMap((pkg) => {
    const dir = join(root, 'packages', pkg, 'examples');
    try {
      return readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(dir, f));
    } catch {
      return [];
    }
  });
}
