// The two queries a report needs: one aggregate row per machine over the period (state samples, counter and
// energy deltas: the columns the ingest package's OEE arithmetic reads, window prefix 's'), and the period's
// alarm, anomaly and fault events.
import { bindSql, COUNTERS, identifier, STATES } from '@plantwire/node-red-questdb';
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

export function machineSql(table: string, scope: Scope, period: Period): string {
  const { conditions, params } = where(scope, period);
  const columns: string[] = [];
  STATES.forEach((state, i) =>
    columns.push(
      `sum(case when metric = 'state' and value = ${i + 1} then 1 else 0 end) s_${state.toLowerCase()}`,
    ),
  );
  columns.push(`sum(case when metric = 'state' then 1 else 0 end) s_samples`);
  columns.push(`min(case when metric = 'state' then ts end) s_first`);
  columns.push(`max(case when metric = 'state' then ts end) s_last`);
  for (const counter of [...COUNTERS, 'energy']) {
    const values = `case when metric = '${counter}' then value end`;
    columns.push(`max(${values}) - min(${values}) s_${counter}`);
  }
  const metrics = ['state', ...COUNTERS, 'energy'].map((m) => `'${m}'`).join(', ');
  return bindSql(
    `SELECT line, machine, ${columns.join(', ')} FROM ${identifier(table, 'table')} ` +
      `WHERE ${[...conditions, `metric IN (${metrics})`].join(' AND ')} ORDER BY line, machine`,
    params,
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
