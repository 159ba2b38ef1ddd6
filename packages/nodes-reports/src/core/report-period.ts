// The period a report covers: the last complete shift, day or week (UTC, machine-sim's shifts), or a given span.
import { describeValue } from '@plantwire/telemetry';
import { shiftStart } from '@plantwire/node-red-questdb';

export const PERIODS = ['shift', 'day', 'week', 'given'] as const;
export type PeriodKind = (typeof PERIODS)[number];

export interface Period {
  from: number;
  to: number;
  /** "shift 2026-01-05 06:00-14:00 UTC", "day 2026-01-05", ... */
  label: string;
}

const DAY = 86_400_000;

export class ReportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportInputError';
  }
}

/** The last complete period before `now`; `given` takes msg.period's from and to (epoch ms or ISO). */
export function resolvePeriod(kind: PeriodKind, now: number, given?: unknown): Period {
  switch (kind) {
    case 'shift': {
      const to = shiftStart(now);
      const from = shiftStart(to - 1);
      return { from, to, label: `shift ${iso(from).slice(0, 16)}-${iso(to).slice(11, 16)} UTC` };
    }
    case 'day': {
      const to = Math.floor(now / DAY) * DAY;
      return { from: to - DAY, to, label: `day ${iso(to - DAY).slice(0, 10)}` };
    }
    case 'week': {
      const to = Math.floor(now / DAY) * DAY;
      return {
        from: to - 7 * DAY,
        to,
        label: `week ${iso(to - 7 * DAY).slice(0, 10)} to ${iso(to - DAY).slice(0, 10)}`,
      };
    }
    case 'given':
      return givenPeriod(given);
  }
}

function givenPeriod(given: unknown): Period {
  if (typeof given !== 'object' || given === null)
    throw new ReportInputError(
      `a given period needs msg.period = {"from": ..., "to": ...} (epoch ms or ISO dates; got ${describeValue(given)})`,
    );
  const { from, to } = given as Record<string, unknown>;
  const at = (value: unknown, field: string) => {
    const ms = typeof value === 'string' ? Date.parse(value) : value;
    if (typeof ms !== 'number' || !Number.isFinite(ms))
      throw new ReportInputError(
        `msg.period.${field} must be epoch ms or an ISO date (got ${describeValue(value)})`,
      );
    return ms;
  };
  const start = at(from, 'from');
  const end = at(to, 'to');
  if (!(end > start)) throw new ReportInputError('msg.period.to must be after msg.period.from');
  if (end - start > 366 * DAY) throw new ReportInputError('a report covers at most a year');
  return { from: start, to: end, label: `${iso(start).slice(0, 16)} to ${iso(end).slice(0, 16)} UTC` };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ');
}
