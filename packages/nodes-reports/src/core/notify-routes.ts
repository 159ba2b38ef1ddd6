// Who is told: routes by tenant, plant, line and priority, written by users as JSON in the node's editor and
// checked once at deploy.
import { ALARM_PRIORITIES, type AlarmPriority } from '@plantwire/node-red-rules';
import { describeValue } from '@plantwire/telemetry';

export const PRIORITIES = ALARM_PRIORITIES;
export type Priority = AlarmPriority;

export interface Route {
  /** Empty or '*': any. */
  tenant: string;
  plant: string;
  line: string;
  /** The lowest priority this route is told about. */
  minPriority: Priority;
  email: string[];
  sms: string[];
  /** true: told only when a critical alarm is escalated (the supervisor, the on-call engineer). */
  escalation: boolean;
}

export interface Recipients {
  email: string[];
  sms: string[];
}

export class NotifyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotifyConfigError';
  }
}

const FIELDS = ['tenant', 'plant', 'line', 'minPriority', 'email', 'sms', 'escalation'];
const EMAIL = /^[^\s@,;<>]+@[^\s@,;<>]+$/;
const PHONE = /^\+?[0-9][0-9 ()-]{2,30}$/;

/** The routes setting: a JSON array of routes; a bad one is refused naming its position and field. */
export function parseRoutes(text: string): Route[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new NotifyConfigError(`routes must be a JSON array of routes (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new NotifyConfigError('routes must be a JSON array of routes');
  return parsed.map((item, i) => parseRoute(item, `routes[${i}]`));
}

function parseRoute(item: unknown, at: string): Route {
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    throw new NotifyConfigError(`${at} must be an object (got ${describeValue(item)})`);
  const route = item as Record<string, unknown>;
  const unknown = Object.keys(route).find((key) => !FIELDS.includes(key));
  if (unknown)
    throw new NotifyConfigError(`${at}: unknown field "${unknown}" (fields: ${FIELDS.join(', ')})`);
  const place = (field: string) => {
    const value = route[field] ?? '';
    if (typeof value !== 'string') throw new NotifyConfigError(`${at}.${field} must be a string`);
    return value === '*' ? '' : value;
  };
  const minPriority = route.minPriority ?? 'diagnostic';
  if (!PRIORITIES.includes(minPriority as Priority))
    throw new NotifyConfigError(
      `${at}.minPriority must be one of ${PRIORITIES.join(', ')} (got ${describeValue(minPriority)})`,
    );
  const list = (field: 'email' | 'sms', pattern: RegExp, what: string) => {
    const value = route[field] ?? [];
    const items = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(items)) throw new NotifyConfigError(`${at}.${field} must be a list of ${what}`);
    return items.map((entry: unknown) => {
      if (typeof entry !== 'string' || !pattern.test(entry.trim()))
        throw new NotifyConfigError(`${at}.${field}: ${describeValue(entry)} is not ${what}`);
      return entry.trim();
    });
  };
  const email = list('email', EMAIL, 'an email address');
  const sms = list('sms', PHONE, 'a phone number');
  if (email.length === 0 && sms.length === 0)
    throw new NotifyConfigError(`${at} names nobody: give email addresses, sms numbers or both`);
  if (route.escalation !== undefined && typeof route.escalation !== 'boolean')
    throw new NotifyConfigError(`${at}.escalation must be true or false`);
  return {
    tenant: place('tenant'),
    plant: place('plant'),
    line: place('line'),
    minPriority: minPriority as Priority,
    email,
    sms,
    escalation: route.escalation === true,
  };
}

export function rank(priority: string): number {
  return PRIORITIES.indexOf(priority as Priority);
}

/** Everyone the routes name for an event at this place and priority, each once; escalations add their routes. */
export function recipientsFor(
  routes: readonly Route[],
  where: { tenant: string; plant: string; line: string },
  priority: Priority,
  escalation = false,
): Recipients {
  const email = new Set<string>();
  const sms = new Set<string>();
  for (const route of routes) {
    if (route.escalation && !escalation) continue;
    if (route.tenant && route.tenant !== where.tenant) continue;
    if (route.plant && route.plant !== where.plant) continue;
    if (route.line && route.line !== where.line) continue;
    if (rank(priority) < rank(route.minPriority)) continue;
    route.email.forEach((to) => email.add(to));
    route.sms.forEach((to) => sms.add(to));
  }
  return { email: [...email], sms: [...sms] };
}
