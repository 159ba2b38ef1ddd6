import {
  describeValue,
  formatReading,
  isIdentifier,
  isUuid,
  nameBasedId,
  normaliseTs,
} from '@plantwire/telemetry';

export const EVENT_KINDS = ['alarm', 'anomaly', 'state', 'fault'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** One row of plantwire_events: a machine state change, a fault, an alarm transition or a flagged anomaly. */
export interface PlantEvent {
  /** Event time, epoch ms. */
  ts: number;
  /** UUID; the idempotency key with ts. */
  id: string;
  tenant: string;
  plant: string;
  /** '' when the event belongs to no line. */
  line: string;
  /** '' when the event belongs to no machine (a network outage, an alarm flood). */
  machine: string;
  kind: EventKind;
  name: string;
  state: string;
  /** '' when none. */
  priority: string;
  value: number | null;
  message: string;
}

export interface EventContext {
  /** The token's tenant: the default, and the only tenant accepted when set. */
  tenant?: string;
  /** The default plant for events that carry none. */
  plant?: string;
}

export interface EventRejection {
  index: number;
  reason: string;
  /** 403 for an event of another tenant than ctx.tenant. */
  status?: 403;
}

export interface EventsResult {
  events: PlantEvent[];
  rejected: EventRejection[];
  /** How many of the rejected items belong to another tenant than ctx.tenant (the shell answers 403 for those). */
  foreign: number;
}

class Refusal extends Error {
  constructor(
    message: string,
    readonly foreign = false,
  ) {
    super(message);
  }
}

/**
 * Normalises what the nodes emit about a plant into PlantEvents: machine-sim events (state, fault), threshold-alarm
 * events, anomaly-detect flagged points and already normalised events, one or an array. Items that do not fit are
 * listed with their position and reason; the rest go on. Ids are kept (normalised events) or derived from the
 * event's content, so a re-sent event deduplicates.
 */
export function toEvents(items: unknown, ctx: EventContext = {}): EventsResult {
  const list = Array.isArray(items) ? items : [items];
  const events: PlantEvent[] = [];
  const rejected: EventRejection[] = [];
  let foreign = 0;
  list.forEach((item, index) => {
    try {
      events.push(toEvent(item, ctx));
    } catch (error) {
      const isForeign = error instanceof Refusal && error.foreign;
      if (isForeign) foreign++;
      rejected.push({ index, reason: (error as Error).message, ...(isForeign && { status: 403 as const }) });
    }
  });
  return { events, rejected, foreign };
}

type Fields = Record<string, unknown>;

function toEvent(item: unknown, ctx: EventContext): PlantEvent {
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    throw new Refusal(`an event must be an object (got ${describeValue(item)})`);
  const e = item as Fields;
  if ('kind' in e) return normalised(e, ctx);
  if (e.type === 'state' || e.type === 'fault') return simulatorEvent(e, ctx);
  if ('rule' in e && 'key' in e) return alarmEvent(e, ctx);
  if ('score' in e && 'metric' in e) return anomalyEvent(e, ctx);
  throw new Refusal(
    'not a plant event: expected a machine-sim event (type state or fault), a threshold-alarm event, ' +
      'a flagged anomaly point (score, anomaly: true) or a normalised event (kind)',
  );
}

function normalised(e: Fields, ctx: EventContext): PlantEvent {
  if (!EVENT_KINDS.includes(e.kind as EventKind))
    throw new Refusal(`kind must be one of ${EVENT_KINDS.join(', ')} (got ${describeValue(e.kind)})`);
  return build(
    e,
    ctx,
    {
      kind: e.kind as EventKind,
      name: text(e.name, 'name', true),
      state: text(e.state, 'state'),
      priority: text(e.priority ?? '', 'priority'),
      value: value(e.value),
      message: text(e.message ?? '', 'message'),
    },
    isUuid(e.id) ? e.id : undefined,
  );
}

function simulatorEvent(e: Fields, ctx: EventContext): PlantEvent {
  if (e.type === 'state') {
    const state = text(e.state, 'state', true);
    return build(e, ctx, {
      kind: 'state',
      name: state,
      state,
      priority: '',
      value: null,
      message: `${text(e.previous, 'previous', true)} -> ${state}`,
    });
  }
  if (e.phase !== 'start' && e.phase !== 'end')
    throw new Refusal(`phase must be start or end (got ${describeValue(e.phase)})`);
  return build(e, ctx, {
    kind: 'fault',
    name: text(e.fault, 'fault', true),
    state: e.phase,
    priority: '',
    value: null,
    message: text(e.reason ?? '', 'reason'),
  });
}

/** KEY_FIELDS of threshold-alarm are suffixes of tenant/plant/line/machine/metric: read the key from the right. */
const KEY_FROM_RIGHT = ['metric', 'machine', 'line', 'plant', 'tenant'] as const;

function alarmEvent(e: Fields, ctx: EventContext): PlantEvent {
  const key = text(e.key, 'key', true);
  // The flood summary (key "*") belongs to no machine; a composite alarm's key is the machine part only.
  const segments = key === '*' ? [] : key.split('/').reverse();
  const fromKey: Fields = {};
  if (segments.length === 1) fromKey.machine = segments[0];
  else KEY_FROM_RIGHT.forEach((field, i) => segments[i] !== undefined && (fromKey[field] = segments[i]));
  const by = e.by === undefined ? '' : ` (by ${text(e.by, 'by')})`;
  return build({ ...fromKey, ...e }, ctx, {
    kind: 'alarm',
    name: text(e.id, 'id', true),
    state: text(e.state, 'state', true),
    priority: text(e.priority ?? '', 'priority'),
    // NaN is the engine's "no reading yet" (JSON carries it as null).
    value: Number.isNaN(e.value) ? null : value(e.value),
    message: text(e.message ?? '', 'message') + by,
  });
}

function anomalyEvent(e: Fields, ctx: EventContext): PlantEvent {
  if (e.anomaly !== true)
    throw new Refusal('the point is not flagged (anomaly is not true): only flagged points are events');
  const metric = text(e.metric, 'metric', true);
  const score = e.score;
  if (typeof score !== 'number' || !Number.isFinite(score))
    throw new Refusal(`score must be a finite number (got ${describeValue(score)})`);
  const reading = value(e.value);
  const unit = typeof e.unit === 'string' ? e.unit : '';
  return build(
    e,
    ctx,
    {
      kind: 'anomaly',
      name: metric,
      state: 'flagged',
      priority: '',
      value: reading,
      message: `score ${score.toFixed(2)} (${[metric, reading === null ? '' : formatReading(reading), unit].filter((p) => p !== '').join(' ')})`,
    },
    isUuid(e.id) ? nameBasedId(`anomaly/${e.id}`) : undefined,
  );
}

type Content = Pick<PlantEvent, 'kind' | 'name' | 'state' | 'priority' | 'value' | 'message'>;

/** Where, when and which id: shared by every shape. */
function build(e: Fields, ctx: EventContext, content: Content, id?: string): PlantEvent {
  const tenant = e.tenant ?? ctx.tenant;
  if (tenant === undefined)
    throw new Refusal('tenant is missing: give it in the event (or the alarm key) or through a token');
  if (!isIdentifier(tenant)) throw new Refusal(`tenant must be an identifier (got ${describeValue(tenant)})`);
  if (ctx.tenant !== undefined && tenant !== ctx.tenant)
    throw new Refusal(`tenant ${describeValue(tenant)} is not the token's tenant`, true);
  const plant = e.plant ?? ctx.plant;
  if (plant === undefined)
    throw new Refusal('plant is missing: give it in the event (or the alarm key) or in the node settings');
  if (!isIdentifier(plant)) throw new Refusal(`plant must be an identifier (got ${describeValue(plant)})`);
  const line = place(e.line, 'line');
  const machine = place(e.machine, 'machine');
  let ts: number;
  try {
    ts = normaliseTs(e.ts);
  } catch (error) {
    throw new Refusal((error as Error).message);
  }
  const derived = () =>
    nameBasedId([content.kind, tenant, plant, line, machine, content.name, content.state, ts].join('/'));
  return { ts, id: id ?? derived(), tenant, plant, line, machine, ...content };
}

function place(value: unknown, field: string): string {
  if (value === undefined || value === '') return '';
  if (!isIdentifier(value))
    throw new Refusal(`${field} must be an identifier or empty (got ${describeValue(value)})`);
  return value;
}

function text(value: unknown, field: string, required = false): string {
  if (typeof value !== 'string' || (required && value === ''))
    throw new Refusal(
      `${field} must be a${required ? ' non-empty' : ''} string (got ${describeValue(value)})`,
    );
  return value;
}

function value(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Refusal(`value must be a finite number or null (got ${describeValue(v)})`);
  return v;
}
