import {
  normaliseMetrics,
  parseDeviceTopic,
  parseTopic,
  validatePoints,
  type Point,
  type SeriesKey,
  type ValidationResult,
} from '@plantwire/telemetry';
import { toEvents, type PlantEvent } from './events.js';
import {
  outOfScope,
  tokenHash,
  type RateLimiter,
  type TokenGrant,
  type TokenTable,
} from './ingest-tokens.js';

export interface GateOptions {
  /** When set (an http in front), every request needs a bearer token from this table (parseTokens). */
  tokens?: TokenTable;
  /** Enforces the tokens' rates; tokens without a rate are not limited. */
  limiter?: RateLimiter;
  maxPoints: number;
  maxBytes: number;
  /** Defaults for `{"metrics": {...}}` payloads that do not carry them. */
  plant?: string;
  line?: string;
  units?: Record<string, string>;
  /** Use arrival time for metrics payloads without a timestamp (otherwise they are refused). */
  arrivalTime?: boolean;
}

export interface Request {
  body: unknown;
  /** The Authorization header, for token checks. */
  authorization?: unknown;
  /** Body size in bytes, when known. */
  bytes?: number;
  /** The MQTT topic a metrics payload came on. */
  topic?: string;
  now?: number;
}

export interface GateRejection {
  index: number;
  reason: string;
  /** 403 for an item the token may not write (another tenant, plant or line). */
  status?: 403;
}

export interface GateResult<T = Point> {
  /** 200 when at least one item was accepted; otherwise why nothing was. */
  status: 200 | 400 | 401 | 403 | 413 | 429;
  tenant?: string;
  accepted: T[];
  rejected: GateRejection[];
  /** For 401, 413 and 429: the one reason for the whole request. */
  message?: string;
  /** For 429: when to come back (the Retry-After header). */
  retryAfterS?: number;
  /** The body is nested too deep for Node-RED to copy (a Catch node would overflow the stack): do not pass it on. */
  dropBody?: boolean;
}

/** Deeper than any point, metrics or event payload; deep enough to refuse before anything recurses into it. */
export const MAX_BODY_DEPTH = 32;

/** Whether `value` nests arrays or objects deeper than `limit`, found without recursion. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  // An array of flat objects (every body of points) is at most 2 deep: checked without allocating.
  if (limit >= 2 && Array.isArray(value) && value.every(isFlat)) return false;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null || Buffer.isBuffer(item)) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

function isFlat(item: unknown): boolean {
  if (typeof item !== 'object' || item === null) return true;
  for (const key in item) {
    const child = (item as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null) return false;
  }
  return true;
}

/**
 * The cloud's front door: who is sending (bearer token to tenant), how much (413), what (schema v1 or the
 * metrics shape, each point checked), and for whom (points of another tenant: 403). Points that pass go on;
 * every refused one is listed with its position and reason.
 */
export function admit(request: Request, options: GateOptions): GateResult {
  const opened = open(request, options, 'points');
  if ('status' in opened) return opened;
  const { grant, body } = opened;
  const tenant = grant?.tenant;

  let checked: ValidationResult;
  try {
    checked = isMetricsPayload(body)
      ? normaliseMetrics(body, {
          topic: request.topic,
          tenant,
          plant: options.plant,
          line: options.line,
          units: options.units,
          arrivalTime: options.arrivalTime ? (request.now ?? Date.now()) : undefined,
        })
      : validatePoints(body);
  } catch (error) {
    return { status: 400, tenant, accepted: [], rejected: [{ index: 0, reason: (error as Error).message }] };
  }
  const rejected: GateRejection[] = checked.invalid.map(({ index, reason }) => ({ index, reason }));
  let valid = { items: checked.valid, positions: validPositions(body, checked) };
  // MQTT: the broker's access rules grant topics, so the topic, not the payload, says whose points these are.
  const series = request.topic === undefined ? undefined : topicSeries(request.topic);
  if (series) valid = keepWhere(valid, rejected, (point) => outsideTopic(series, point));
  // Isolation: a token writes its own tenant, and its plants or lines when limited; the rest goes on.
  if (grant) valid = keepWhere(valid, rejected, (point) => outOfScope(grant, point));
  rejected.sort((a, b) => a.index - b.index);
  return { status: status(valid.items.length, rejected), tenant, accepted: valid.items, rejected };
}

/** The series a topic names (v1/{tenant}/{plant}/{line}/{machine}/{metric}, or a device's), if it names one. */
function topicSeries(topic: string): Partial<SeriesKey> | undefined {
  for (const parse of [parseTopic, parseDeviceTopic]) {
    try {
      return parse(topic);
    } catch {
      // not this shape
    }
  }
  return undefined;
}

/** Why a point may not come on a topic that names another series. */
function outsideTopic(series: Partial<SeriesKey>, point: Point): string | undefined {
  for (const [field, value] of Object.entries(series) as [keyof SeriesKey, string][])
    if (point[field] !== value) return `${field} "${point[field]}" is not its topic's "${value}"`;
  return undefined;
}

/**
 * The same front door for plant events (src/core/events.ts): token, size and JSON checks as for points; the
 * token's tenant is the default and the only tenant accepted, options.plant the default plant.
 */
export function admitEvents(request: Request, options: GateOptions): GateResult<PlantEvent> {
  const opened = open(request, options, 'events');
  if ('status' in opened) return opened;
  const { grant, body } = opened;
  const tenant = grant?.tenant;
  const { events, rejected: invalid } = toEvents(body, { tenant, plant: options.plant });
  const rejected: GateRejection[] = [...invalid];
  if (!grant) return { status: status(events.length, rejected), accepted: events, rejected };
  const { items } = keepWhere(
    { items: events, positions: eventPositions(body, invalid) },
    rejected,
    (event) => outOfScope(grant, event),
  );
  rejected.sort((a, b) => a.index - b.index);
  return { status: status(items.length, rejected), tenant, accepted: items, rejected };
}

/** The valid items with their input positions, less those `refusal` names a reason for: 403s added to `rejected`. */
function keepWhere<T>(
  valid: { items: T[]; positions: number[] },
  rejected: GateRejection[],
  refusal: (item: T) => string | undefined,
): { items: T[]; positions: number[] } {
  const kept: { items: T[]; positions: number[] } = { items: [], positions: [] };
  valid.items.forEach((item, i) => {
    const reason = refusal(item);
    if (reason === undefined) {
      kept.items.push(item);
      kept.positions.push(valid.positions[i]!);
    } else rejected.push({ index: valid.positions[i]!, reason, status: 403 });
  });
  return kept;
}

/** Who is sending and how much, and the body parsed: or the refusal of the whole request. */
function open(
  request: Request,
  options: GateOptions,
  items: string,
): { grant?: TokenGrant; body: unknown } | GateResult<never> {
  let grant: TokenGrant | undefined;
  let key = '';
  if (options.tokens) {
    if (options.tokens.size === 0) {
      return refuse(401, 'no tokens are configured: add one (token tenant) in the telemetry-validate node');
    }
    const header = typeof request.authorization === 'string' ? request.authorization : '';
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (!token) return refuse(401, 'a bearer token is required: Authorization: Bearer <token>');
    key = tokenHash(token);
    grant = options.tokens.get(key);
    if (!grant) return refuse(401, 'unknown or revoked token');
  }
  if (request.bytes !== undefined && request.bytes > options.maxBytes) {
    return refuse(413, `the body is ${request.bytes} bytes; at most ${options.maxBytes} are accepted`);
  }
  let body = request.body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const text = body.toString();
    if (Buffer.byteLength(text) > options.maxBytes) {
      return refuse(
        413,
        `the body is ${Buffer.byteLength(text)} bytes; at most ${options.maxBytes} are accepted`,
      );
    }
    try {
      body = JSON.parse(text);
    } catch {
      return {
        status: 400,
        tenant: grant?.tenant,
        accepted: [],
        rejected: [{ index: 0, reason: 'the body is not JSON' }],
      };
    }
  }
  const count = itemCount(body, items);
  if (count <= options.maxPoints && nestedDeeperThan(body, MAX_BODY_DEPTH)) {
    return {
      status: 400,
      tenant: grant?.tenant,
      accepted: [],
      rejected: [{ index: 0, reason: `the body is nested deeper than ${MAX_BODY_DEPTH} levels` }],
      dropBody: true,
    };
  }
  if (count > options.maxPoints)
    return refuse(413, `${count} ${items} in one request; at most ${options.maxPoints}`);
  if (grant?.rate !== undefined && options.limiter) {
    const wait = options.limiter.take(key, grant.rate, count, request.now ?? Date.now());
    if (wait) {
      return {
        ...refuse(
          429,
          `the token's rate of ${grant.rate} ${items}/s is used up: retry after ${wait.retryAfterS} s`,
        ),
        retryAfterS: wait.retryAfterS,
      };
    }
  }
  return { grant, body };

  function refuse(status: 401 | 413 | 429, message: string): GateResult<never> {
    return { status, tenant: grant?.tenant, accepted: [], rejected: [], message };
  }
}

/**
 * Nothing refused (an empty array included) is a success; so is a batch with anything accepted (each refused
 * item says why, with its own status). Otherwise: 403 when every item was the token's to refuse, else 400.
 */
function status(accepted: number, rejected: GateRejection[]): 200 | 400 | 403 {
  if (accepted > 0 || rejected.length === 0) return 200;
  return rejected.every((r) => r.status === 403) ? 403 : 400;
}

/** How many points or events a body holds: a metrics map is one point per metric, for the limits and the rate. */
function itemCount(body: unknown, items: string): number {
  if (Array.isArray(body)) return body.length;
  const metrics =
    items === 'points' && isMetricsPayload(body) ? (body as { metrics: unknown }).metrics : undefined;
  return typeof metrics === 'object' && metrics !== null ? Math.max(1, Object.keys(metrics).length) : 1;
}

function isMetricsPayload(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'metrics' in body;
}

/** Where each valid event stood: toEvents keeps input order and lists every refused position. */
function eventPositions(body: unknown, invalid: GateRejection[]): number[] {
  const refused = new Set(invalid.map((r) => r.index));
  const total = Array.isArray(body) ? body.length : 1;
  const positions: number[] = [];
  for (let i = 0; i < total; i++) if (!refused.has(i)) positions.push(i);
  return positions;
}

/** Where each valid point stood in the input (the validator keeps input order). */
function validPositions(body: unknown, checked: ValidationResult): number[] {
  const invalid = new Set(checked.invalid.map((i) => i.index));
  const total = isMetricsPayload(body)
    ? Object.keys((body as { metrics: object }).metrics).length
    : Array.isArray(body)
      ? body.length
      : 1;
  const positions: number[] = [];
  for (let i = 0; i < total; i++) if (!invalid.has(i)) positions.push(i);
  return positions;
}
