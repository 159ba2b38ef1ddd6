// Series keys: which point fields name a series, and patterns that pick series by their key. threshold-alarm,
// anomaly-detect and forecast offer the same key choices; their editors' key <select> lists them too (Node-RED
// loads each editor on its own; a test keeps them equal).
import { IDENTIFIER_RULE, describeValue, isIdentifier } from '@plantwire/telemetry';

/** Which point fields make a series key; the metric is always last, the machine key is the key without it. */
export const KEY_FIELDS = {
  'machine/metric': ['machine', 'metric'],
  'line/machine/metric': ['line', 'machine', 'metric'],
  'plant/line/machine/metric': ['plant', 'line', 'machine', 'metric'],
  'tenant/plant/line/machine/metric': ['tenant', 'plant', 'line', 'machine', 'metric'],
} as const;
export type KeyFields = keyof typeof KEY_FIELDS;

export function isKeyFields(name: unknown): name is KeyFields {
  return typeof name === 'string' && Object.hasOwn(KEY_FIELDS, name);
}

/** A point's key fields joined by '/' (identifiers never contain '/', so one key names one series only). */
export function seriesKey(point: Record<string, unknown>, fields: readonly string[]): string | undefined {
  let key = '';
  for (let f = 0; f < fields.length; f++) {
    const part = point[fields[f]!];
    if (!isIdentifier(part)) return undefined;
    key = f === 0 ? part : `${key}/${part}`;
  }
  return key;
}

/** Why a point has no series key (its first key field that is not an identifier), or undefined if it has one. */
export function keyFieldProblem(
  point: Record<string, unknown>,
  fields: readonly string[],
): string | undefined {
  const field = fields.find((name) => !isIdentifier(point[name]));
  return field === undefined
    ? undefined
    : `${field} must be ${IDENTIFIER_RULE} (got ${describeValue(point[field])})`;
}

/**
 * Tests a key split on '/': true when the pattern's segments match the key's last segments. `last` tests the
 * last segment alone: false means no key ending in that segment can match.
 */
export type Matcher = ((segments: readonly string[]) => boolean) & { last: (segment: string) => boolean };

/**
 * The series a reset names (msg.reset): true for every series, a pattern (see compilePattern) for those it
 * matches. `fail` makes the error for anything else.
 */
export function resetMatcher(
  reset: unknown,
  keyLength: number,
  fail: (problem: string) => Error,
): (key: string) => boolean {
  if (reset === true) return () => true;
  if (typeof reset !== 'string')
    throw fail(`must be true or a series pattern such as "cnc-01/*" (got ${describeValue(reset)})`);
  const match = compilePattern(reset, keyLength, fail);
  return (key) => match(key.split('/'));
}

// A pattern of '/'-separated segments, each a literal or a glob with '*', matched against the last segments of a
// key: `temperature` matches any machine's temperature; `line-01/*/temperature` needs a key with the line.
// threshold-alarm's rules and forecast's limits name series this way. `fail` makes the error for a bad pattern.
export function compilePattern(
  pattern: string,
  keyLength: number,
  fail: (problem: string) => Error,
): Matcher {
  const parts = pattern.split('/');
  if (parts.length > keyLength) {
    throw fail(`"${pattern}" has ${parts.length} segments but the key has ${keyLength}: choose a longer key`);
  }
  if (parts.some((part) => part === '' || !/^[A-Za-z0-9._*-]+$/.test(part))) {
    throw fail(`"${pattern}" must be segments of letters, digits, '.', '_', '-' and '*' separated by '/'`);
  }
  const tests = parts.map((part) => {
    if (part === '*') return () => true;
    if (!part.includes('*')) return (segment: string) => segment === part;
    return (segment: string) => globMatches(part, segment);
  });
  const matcher = (segments: readonly string[]) => {
    const offset = segments.length - tests.length;
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(segments[offset + i]!)) return false;
    return true;
  };
  return Object.assign(matcher, { last: tests[tests.length - 1]! });
}

/**
 * Whether `text` matches `glob` ('*' any run of characters, all else literal). Greedy with backtracking to the
 * last '*' only: at most length(glob) x length(text) steps. A regular expression of many '*'s backtracks
 * exponentially, and a pattern can come in a message (msg.reset).
 */
function globMatches(glob: string, text: string): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (g < glob.length && glob[g] !== '*' && glob[g] === text[t]) {
      g++;
      t++;
    } else if (g < glob.length && glob[g] === '*') {
      star = g++;
      resume = t;
    } else if (star >= 0) {
      g = star + 1;
      t = ++resume;
    } else return false;
  }
  while (g < glob.length && glob[g] === '*') g++;
  return g === glob.length;
}
