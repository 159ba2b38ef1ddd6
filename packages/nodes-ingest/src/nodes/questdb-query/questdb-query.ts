// The questdb-query node: SQL from the editor or the message, parameters bound as literals, results as rows or
// as a series Dashboard 2.0's ui-chart takes as it is. An unreachable QuestDB is reported once per outage: presets
// answer empty results meanwhile (a dashboard keeps ticking), SQL queries still fail for Catch.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { nodeShell, registerNode, setting, type Done, type Settings } from '@plantwire/node-shell';
import { DEFAULT_IDEAL_RATES, kpiRows, parseIdealRates } from '../../core/kpis.js';
import { exec, QuestDbError } from '../../core/questdb-http.js';
import { bindSql, checkPresetRows, MAX_MINUTES, presetSql, toRows, toSeries } from '../../core/sql.js';
import { tableFor } from '../../core/telemetry-writer.js';
import { questDbServer } from '../config-node.js';

// The presets' rules (table, minutes up to a year, bucket, ideal rates) are the core's (src/core/sql.ts, kpis.ts);
// the node's own table, minutes and bucket are refused at deploy, not on every query.
const SETTINGS = {
  mode: setting.choice('latest', ['latest', 'series', 'counts', 'kpis', 'events', 'sql']),
  sql: setting.text(''),
  table: setting.text('plantwire_telemetry'),
  bucket: setting.text('1m'),
  minutes: setting.integer(60, { min: 1, max: MAX_MINUTES }),
  output: setting.choice('rows', ['rows', 'series']),
  idealRates: setting.text(JSON.stringify(DEFAULT_IDEAL_RATES)),
};

interface QueryMessage extends NodeMessage {
  query?: unknown;
  params?: unknown;
}

export = function register(RED: NodeAPI) {
  function QuestDbQuery(this: Node, def: NodeDef & { server?: string }) {
    RED.nodes.createNode(this, def);
    const node = this;
    const shell = nodeShell(RED, node, 'questdb-query');
    const server = questDbServer(RED, node, shell, def.server);
    let settings: Settings<typeof SETTINGS> | undefined;
    let rates: Record<string, number> | undefined;
    let refused: Error | undefined;
    if (!(server instanceof Error)) {
      try {
        // The table without the editor's default: a node that names none reads its preset's own (events:
        // plantwire_events).
        const parsed = shell.settings(def, { ...SETTINGS, table: setting.text() });
        settings = { ...parsed, table: tableFor(parsed.mode, parsed.table) };
        if (settings.mode === 'kpis') rates = parseIdealRates(settings.idealRates);
        // The preset's own table, window and bucket, checked once here rather than failing every query.
        if (settings.mode !== 'sql') presetSql(settings.mode, settings, {});
      } catch (error) {
        refused = new Error(`questdb-query: ${(error as Error).message}`);
        shell.refuseSetup(error);
      }
    }
    const preset = settings?.mode !== 'sql';
    let outage = false;
    const back = () => {
      if (!outage) return;
      outage = false;
      node.log(shell.text('log.back'));
    };

    node.on('input', (msg: QueryMessage, send: (msg: NodeMessage) => void, done: Done) => {
      if (server instanceof Error) return done(server);
      if (refused || !settings) return done(refused ?? shell.notConfigured());
      const params =
        typeof msg.params === 'object' && msg.params !== null ? (msg.params as Record<string, unknown>) : {};
      let sql: string;
      try {
        if (settings.mode === 'sql') {
          const text = typeof msg.query === 'string' && msg.query.trim() !== '' ? msg.query : settings.sql;
          if (!text) throw shell.error('errors.noSql');
          sql = bindSql(text, params);
        } else {
          const query = presetSql(settings.mode, settings, params);
          sql = bindSql(query.sql, query.params);
        }
      } catch (error) {
        shell.status.error((error as Error).message);
        return done(error as Error);
      }
      exec(server.connection, sql).then(
        (result) => {
          back();
          const rows = toRows(result);
          try {
            checkPresetRows(settings.mode, rows);
          } catch (error) {
            shell.status.error((error as Error).message);
            return done(error as Error);
          }
          msg.payload = rates ? kpiRows(rows, rates) : settings.output === 'series' ? toSeries(rows) : rows;
          shell.status.ok(shell.text('status.rows', { rows: rows.length }));
          send(msg);
          done();
        },
        (error: Error) => {
          if (error instanceof QuestDbError && error.kind === 'unavailable') {
            shell.status.waiting(shell.text('status.unavailable'));
            const first = !outage;
            outage = true;
            // A SQL query has someone waiting for its answer: it fails, for Catch (Node-RED logs what no Catch takes).
            if (!preset) return done(error);
            // A dashboard preset ticks on: one warning per outage, and an empty answer each time.
            if (first) shell.warn('warnings.unavailable', { reason: error.message });
            msg.payload = [];
            // An http response node answering a request with it says unavailable, not "no data".
            msg.statusCode = 503;
            send(msg);
            return done();
          }
          back(); // QuestDB answered, if only with an error
          // A dashboard preset before the first point is written: no data yet, not a failure to report.
          if (preset && /table does not exist/.test(error.message)) {
            msg.payload = [];
            shell.status.waiting(shell.text('status.noTable'));
            send(msg);
            return done();
          }
          shell.status.error(error.message);
          done(error);
        },
      );
    });
  }

  registerNode(RED, 'questdb-query', QuestDbQuery, SETTINGS);
};
