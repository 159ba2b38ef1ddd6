// Runs a report's three queries against QuestDB and builds the report. No events table yet (nothing has written
// an event) is an empty event list, not a failure.
import { exec, toRows, type QuestDbConnection } from '@plantwire/node-red-questdb';
import { buildReport, type EventRow, type PlantReport, type ReportOptions } from './report-model.js';
import type { Period } from './report-period.js';
import { eventsSql, machineRows, machineSql, type Scope } from './report-queries.js';

export interface ReportTables {
  telemetry: string;
  events: string;
}

export async function queryReport(
  connection: QuestDbConnection,
  tables: ReportTables,
  scope: Scope,
  period: Period,
  options: ReportOptions,
  now: number,
): Promise<PlantReport> {
  const sql = machineSql(tables.telemetry, scope, period);
  const [states, counters, events] = await Promise.all([
    exec(connection, sql.states).then(toRows),
    exec(connection, sql.counters).then(toRows),
    exec(connection, eventsSql(tables.events, scope, period)).then(
      (result) => toRows(result).map(eventRow),
      (error: Error) => {
        if (/table does not exist/.test(error.message)) return [];
        throw error;
      },
    ),
  ]);
  return buildReport(machineRows(states, counters), events, scope, period, options, now);
}

function eventRow(row: Record<string, unknown>): EventRow {
  return {
    ts: Date.parse(String(row.ts)),
    line: String(row.line ?? ''),
    machine: String(row.machine ?? ''),
    kind: String(row.kind ?? ''),
    name: String(row.name ?? ''),
    state: String(row.state ?? ''),
    priority: String(row.priority ?? ''),
    value: typeof row.value === 'number' ? row.value : null,
    message: String(row.message ?? ''),
  };
}
