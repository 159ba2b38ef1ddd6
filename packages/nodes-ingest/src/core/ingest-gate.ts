import {
  describeValue,
  normaliseMetrics,
  validatePoints,
  type Point,
  type ValidationResult,
} from '@plantwire/telemetry';
import { toEvents, type PlantEvent } from './events.js';

/** Bearer token -> tenant. */
export type TokenTable = Record<string, string>;

/** "token tenant" or "token=tenant", one per line; blank lines and # comments are skipped. */
export function parseTokens(text: string | undefined): TokenTable {
  const table: TokenTable = Object.create(null);
  for (const raw of (text ?? '').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+)\s*[=\s]\s*(\S+)$/.exec(line);
    if (!match) throw new Error(`tokens: "${line.slice(0, 8)}..." is not "token tenant"`);
    table[match[1]!] = match[2]!;
  }
  return table;
}

export interface GateOptions {
  /** When set (an http in front), every request needs a bearer token from this table. */
  tokens?: TokenTable;
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
}

export interface GateResult<T = Point> {
  /** 200 when at least one item was accepted; otherwise why nothing was. */
  status: 200 | 400 | 401 | 403 | 413;
  tenant?: string;
  accepted: T[];
  rejected: GateRejection[];
  /** For 401 and 413: the one reason for the whole request. */
  message?: string;
}

/**
 * The cloud's front door: who is sending (bearer token to tenant), how much (413), what (schema v1 or the
 * metrics shape, each point checked), and for whom (points of another tenant: 403). Points that pass go on;
 * every refused one is listed with its position and reason.
 */
export function admit(request: Request, options: GateOptions): GateResult {
  const opened = open(request, options, 'points');
  if ('status' in opened) return opened;
  const { tenant, body } = opened;

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
  let accepted = checked.valid;
  let foreign = 0;
  if (tenant !== undefined) {
    // Tenant isolation: a token writes its own tenant only; the rest of the batch goes on.
    const positions = validPositions(body, checked);
    accepted = [];
    checked.valid.forEach((point, i) => {
      if (point.tenant === tenant) return accepted.push(point);
      foreign++;
      rejected.push({
        index: positions[i]!,
        reason: `tenant ${describeValue(point.tenant)} is not the token's tenant`,
      });
    });
    rejected.sort((a, b) => a.index - b.index);
  }
  return { status: status(accepted.length, rejected.length, foreign), tenant, accepted, rejected };
}

/**
 * The same front door for plant events (src/core/events.ts): token, size and JSON checks as for points; the
 * token's tenant is the default and the only tenant accepted, options.plant the default plant.
 */
export function admitEvents(request: Request, options: GateOptions): GateResult<PlantEvent> {
  const opened = open(request, options, 'events');
  if ('status' in opened) return opened;
  const { tenant, body } = opened;
  const { events, rejected, foreign } = toEvents(body, { tenant, plant: options.plant });
  return { status: status(events.length, rejected.length, foreign), tenant, accepted: events, rejected };
}

/** Who is sending and how much, and the body parsed: or the refusal of the whole request. */
function open(
  request: Request,
  options: GateOptions,
  items: string,
): { tenant?: string; body: unknown } | GateResult<never> {
  let tenant: string | undefined;
  if (options.tokens) {
    if (Object.keys(options.tokens).length === 0) {
      return refuse(401, 'no tokens are configured: add one (token = tenant) in the telemetry-validate node');
    }
    const header = typeof request.authorization === 'string' ? request.authorization : '';
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (!token) return refuse(401, 'a bearer token is required: Authorization: Bearer <token>');
    tenant = Object.prototype.hasOwnProperty.call(options.tokens, token) ? options.tokens[token] : undefined;
    if (!tenant) return refuse(401, 'unknown token');
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
      return { status: 400, tenant, accepted: [], rejected: [{ index: 0, reason: 'the body is not JSON' }] };
    }
  }
  const count = Array.isArray(body) ? body.length : 1;
  if (count > options.maxPoints)
    return refuse(413, `${count} ${items} in one request; at most ${options.maxPoints}`);
  return { tenant, body };

  function refuse(status: 401 | 413, message: string): GateResult<never> {
    return { status, tenant, accepted: [], rejected: [], message };
  }
}

/** Nothing refused (an empty array included) is a success; otherwise the status says why nothing got in. */
function status(accepted: number, rejected: number, foreign: number): 200 | 400 | 403 {
  return accepted > 0 || rejected === 0 ? 200 : foreign > 0 && foreign === rejected ? 403 : 400;
}

function isMetricsPayload(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'metrics' in body;
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
