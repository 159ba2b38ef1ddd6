// Hostile input, generated: what a broken device, a fuzzer or an attacker sends to the cloud's front doors and to
// every node's input. Values of the wrong type, huge strings, deep nesting, NaN and Infinity, bad UUIDs and
// timestamps, prototype keys; bodies truncated, oversized, in the wrong content type or with broken UTF-8.
// Seeded: a failure names the seed and the path, and replays.
import fc from 'fast-check';
import { uuidv7 } from '@plantwire/telemetry';
import { telemetryPoint } from '@plantwire/testkit';
import { MAX_BODY_DEPTH, nestedDeeperThan } from '../../packages/nodes-ingest/src/index.js';

export const SEED = Number(process.env.PLANTWIRE_FUZZ_SEED ?? 20261206);

const nasty = [
  '',
  ' ',
  '\u0000',
  '\uFFFD',
  '\uD800',
  '../../etc/passwd',
  "'; DROP TABLE plantwire_telemetry; --",
  '" OR 1=1 --',
  '${process.exit()}',
  '{{constructor.constructor("return process")()}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'NaN',
  'Infinity',
  '1e309',
  'null',
  '0x1F',
  '\u202Eevil',
  'a'.repeat(65),
];

/** Strings that break parsers, SQL, paths and templates, plus long and random ones. */
export const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...nasty) },
  { weight: 3, arbitrary: fc.string({ maxLength: 80, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.nat({ max: 100_000 }).map((n) => 'x'.repeat(n)) },
);

const number = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 1, -1),
  fc.double(),
  fc.integer(),
);

/**
 * Deepest nesting inside a Node-RED message: the runtime's own deep clone (a message to a Catch node or to two
 * wires) overflows the stack a few thousand levels down, whatever the node does. Bodies over HTTP and MQTT go
 * deeper (DEEPEST_BODY): those the node must refuse before the runtime ever clones them.
 */
export const DEEPEST_MESSAGE = 1_000;
export const DEEPEST_BODY = 20_000;
let maxDepth = DEEPEST_MESSAGE;
/** For the HTTP and MQTT bodies. */
export function allowDepth(depth: number): void {
  maxDepth = depth;
}

/** A value of any type, deep nesting and prototype keys included. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    number,
    hostileString,
    fc.constantFrom(null, undefined, true, false, [], {}),
    fc.nat({ max: DEEPEST_BODY }).map((n) => deepNesting(n % (maxDepth + 1))),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor', 'prototype')),
      tie('value'),
      {
        maxKeys: 5,
      },
    ),
  ),
})).value;

/** [[[ ... ]]] or {"a":{"a": ...}} `depth` levels deep. */
export function deepNesting(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

const badTs = fc.oneof(
  fc.constantFrom('2026-13-45T99:00:00Z', 'yesterday', '', '1e400', '2026-01-05', -1, 1e20, 253402300800000),
  number,
  hostileString,
);
const badUuid = fc.oneof(
  fc.constantFrom(
    'not-a-uuid',
    '00000000-0000-0000-0000-000000000000',
    '{0190d3c2-7b2a-7cc1-8f61-5a0d3c2b1a00}',
    '0190D3C2-7B2A-7CC1-8F61-5A0D3C2B1A0G',
    '0190d3c2-7b2a-7cc1-8f61-5a0d3c2b1a0',
  ),
  fc.uuid().map((u) => u.replace(/-/g, '')),
  hostileString,
);

const FIELDS = ['ts', 'id', 'tenant', 'plant', 'line', 'machine', 'metric', 'value', 'unit', 'q'] as const;

/** A point with one to three fields broken (or missing, or extra prototype keys). */
export const hostilePoint = (base: () => Record<string, unknown>) =>
  fc
    .array(
      fc.oneof(
        fc.record({ field: fc.constant('ts'), value: badTs }),
        fc.record({ field: fc.constant('id'), value: badUuid }),
        fc.record({ field: fc.constantFrom(...FIELDS), value: hostileValue }),
        fc.record({ field: fc.constantFrom('__proto__', 'constructor', 'extra'), value: hostileValue }),
      ),
      { minLength: 1, maxLength: 3 },
    )
    .chain((breaks) =>
      fc.boolean().map((drop) => {
        const point: Record<string, unknown> = base();
        for (const { field, value } of breaks) {
          if (drop && field !== 'extra') delete point[field];
          else Object.defineProperty(point, field, { value, enumerable: true, writable: true });
        }
        return point;
      }),
    );

let sequence = 0;
/** A valid point no other test writes: machine names the target, ts and id are unique. */
export function validPoint(machine: string, at: number): Record<string, unknown> {
  const ts = at + sequence++;
  return { ...telemetryPoint(ts, { machine }), id: uuidv7(ts) };
}

/** What a message's payload can be: one hostile thing, a hostile point, or a batch of hostile and valid points. */
export const hostilePayload = (machine: string, at: number) =>
  fc.oneof(
    hostileValue,
    hostilePoint(() => validPoint(`${machine}-junk`, at)),
    fc.array(
      fc.oneof(
        hostilePoint(() => validPoint(`${machine}-junk`, at)),
        hostileValue,
      ),
      { maxLength: 20 },
    ),
  );

/**
 * A mixed batch of small hostile items and valid points (the valid ones named `machine`): small and shallow
 * enough to fit the node's limits (a body nested deeper than MAX_BODY_DEPTH is refused whole), so every valid
 * point must be stored, once.
 */
export const mixedBatch = (machine: string, at: number) =>
  fc
    .tuple(
      fc.array(
        hostilePoint(() => validPoint(`${machine}-junk`, at)),
        { minLength: 1, maxLength: 10 },
      ),
      fc.integer({ min: 1, max: 10 }),
      fc.infiniteStream(fc.nat()),
    )
    .map(([bad, goodCount, order]) => {
      const good = Array.from({ length: goodCount }, () => validPoint(machine, at));
      const batch: unknown[] = bad.filter((point) => !nestedDeeperThan(point, MAX_BODY_DEPTH - 2));
      const it = order[Symbol.iterator]();
      for (const point of good) batch.splice(it.next().value % (batch.length + 1), 0, point);
      return { batch, good };
    });

export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/octet-stream',
  '',
];

/** A raw request body: JSON truncated, with broken UTF-8, oversized, or plain garbage; in any content type. */
export const hostileBody = (machine: string, at: number, maxBytes: number) =>
  fc.record({
    contentType: fc.constantFrom(...CONTENT_TYPES),
    body: fc.oneof(
      hostilePayload(machine, at).map((payload) => Buffer.from(safeJson(payload))),
      hostilePayload(machine, at).chain((payload) => {
        const text = Buffer.from(safeJson(payload));
        return fc.nat({ max: Math.max(0, text.length - 1) }).map((cut) => text.subarray(0, cut));
      }),
      fc
        .tuple(
          hostilePayload(machine, at),
          fc.nat(),
          fc.constantFrom([0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xe2, 0x82]),
        )
        .map(([payload, at, bytes]) => {
          const text = Buffer.from(safeJson(payload));
          const cut = text.length === 0 ? 0 : at % text.length;
          return Buffer.concat([text.subarray(0, cut), Buffer.from(bytes), text.subarray(cut)]);
        }),
      fc.nat({ max: 3 * maxBytes }).map((n) => Buffer.from(`[${'1,'.repeat(Math.floor(n / 2))}1]`)),
      fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)),
    ),
  });

/** JSON text of anything: NaN becomes null as JSON.stringify does; what cannot be JSON becomes "null". */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ?? 'null';
  } catch {
    return 'null';
  }
}

/** Samples of an arbitrary, reproducibly. */
export function samples<T>(arbitrary: fc.Arbitrary<T>, count: number, offset = 0): T[] {
  return fc.sample(arbitrary, { numRuns: count, seed: SEED + offset });
}

/** A reason a person can act on: not empty, not a JavaScript engine error leaking out of a handler. */
export function isReason(text: unknown): boolean {
  return (
    typeof text === 'string' &&
    text.trim().length > 0 &&
    !/TypeError|ReferenceError|RangeError|SyntaxError: Unexpected|Cannot read prop|is not a function|undefined is not|Maximum call stack|\[object Object\]/.test(
      text,
    )
  );
}
