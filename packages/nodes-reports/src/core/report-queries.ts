// The two queries a report needs: one aggregate row per machine over the period (state samples, counter and
// energy increases: the columns the ingest package's OEE arithmetic reads, window prefix 's'), and the period's
// alarm, anomaly and fault events.
import { bindSql, counterIncreasesSql, COUNTERS, identifier, STATES } from '@plantwire/node-red-questdb';
import type { Period } from './report-period.js';

export interface Scope {
  tenant: string;
  plant: string;
  /** '' for every line. */
  line: string;
}

function where(scope: Scope, period: Period): { conditions: string[]; params: Record<string, unknown> } {
  const conditions = ['tenant = :tenant', 'plant = :plant'];
  const params: Record<string, unknown> = {
    tenant: scope.tenant,
    plant: scope.plant,
    from: new Date(period.from),
    to: new Date(period.to),
  };
  if (scope.line) {
    conditions.push('line = :line');
    params.line = scope.line;
  }
  conditions.push('ts >= :from', 'ts < :to');
  return { conditions, params };
}

/**
 * Two keyed aggregates per machine (QuestDB runs them in parallel, where one pass of CASE columns does not):
 * state samples by state code with their first and last time, and each counter's and energy's increase over the
 * period, resets included.
 */
export function machineSql(
  table: string,
  scope: Scope,
  period: Period,
): { states: string; counters: string } {
  const { conditions, params } = where(scope, period);
  const name = identifier(table, 'table');
  const increases = counterIncreasesSql(name, conditions, [...COUNTERS, 'energy']);
  return {
    states: bindSql(
      `SELECT line, machine, value, count() samples, min(ts) first, max(ts) last FROM ${name} ` +
        `WHERE ${conditions.join(' AND ')} AND metric = 'state'`,
      params,
    ),
    counters: bindSql(`SELECT line, machine, metric, sum(increase) delta FROM (${increases})`, params),
  };
}

/** The two aggregates as one row per machine, in the columns oee() reads (window prefix 's'). */
export function machineRows(
  states: Record<string, unknown>[],
  counters: Record<string, unknown>[],
): Record<string, unknown>[] {
  const rows = new Map<string, Record<string, unknown>>();
  const rowOf = (r: Record<string, unknown>) => {
    const key = `${String(r.line)}\u0000${String(r.machine)}`;
    let row = rows.get(key);
    if (!row) {
      row = { line: r.line, machine: r.machine, s_samples: 0 };
      for (const state of STATES) row[`s_${state.toLowerCase()}`] = 0;
      rows.set(key, row);
    }
    return row;
  };
  for (const r of states) {
    const row = rowOf(r);
    const state = STATES[Number(r.value) - 1];
    const samples = Number(r.samples);
    if (state) row[`s_${state.toLowerCase()}`] = samples;
    row.s_samples = (row.s_samples as number) + samples;
    if (row.s_first === undefined || String(r.first) < String(row.s_first)) row.s_first = r.first;
    if (row.s_last === undefined || String(r.last) > String(row.s_last)) row.s_last = r.last;
  }
  for (const r of counters) rowOf(r)[`s_${String(r.metric)}`] = r.delta;
  return [...rows.values()].sort(
    (a, b) =>
      String(a.line).localeCompare(String(b.line)) || String(a.machine).localeCompare(String(b.machine)),
  );
}

export function eventsSql(table: string, scope: Scope, period: Period): string {
  const { conditions, params } = where(scope, period);
  return bindSql(
    `SELECT ts, line, machine, kind, name, state, priority, value, message FROM ${identifier(table, 'table')} ` +
      `WHERE ${[...conditions, "kind IN ('alarm', 'anomaly', 'fault')"].join(' AND ')} ORDER BY ts`,
    params,
  );
}
