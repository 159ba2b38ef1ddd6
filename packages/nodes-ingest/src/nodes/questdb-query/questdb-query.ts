// The questdb-query node: SQL from the editor or the message, parameters bound as literals, results as rows or
// as a series Dashboard 2.0's ui-chart takes as it is. An unreachable QuestDB is reported once per outage: presets
// answer empty results meanwhile (a dashboard keeps ticking), SQL queries still fail for Catch.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { kpiRows, parseIdealRates } from '../../core/kpis.js';
import { exec, QuestDbError } from '../../core/questdb-http.js';
import { bindSql, presetSql, toRows, toSeries, type Preset } from '../../core/sql.js';
import type { QuestDbConfigNode } from '../config-node.js';

interface QueryDef extends NodeDef {
  server: string;
  mode: 'sql' | Preset;
  sql: string;
  table: string;
  bucket: string;
  minutes: string;
  output: 'rows' | 'series';
  idealRates: string;
}

interface QueryMessage extends NodeMessage {
  query?: unknown;
  params?: unknown;
}

type Send = (msg: NodeMessage) => void;
type Done = (error?: Error) => void;

export = function register(RED: NodeAPI) {
  function QuestDbQuery(this: Node, def: QueryDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const server = RED.nodes.getNode(def.server) as QuestDbConfigNode | null;
    if (!server) node.status({ fill: 'red', shape: 'ring', text: 'no QuestDB server configured' });
    const preset = def.mode !== 'sql' && def.mode !== undefined;
    let rates: Record<string, number> | undefined;
    let ratesError: Error | undefined;
    if (def.mode === 'kpis') {
      try {
        rates = parseIdealRates(def.idealRates);
      } catch (error) {
        ratesError = new Error(`questdb-query: ${(error as Error).message}`);
        node.error(ratesError.message);
        node.status({ fill: 'red', shape: 'ring', text: 'ideal rates: not a JSON object of rates' });
      }
    }
    let outage = false;
    const back = () => {
      if (!outage) return;
      outage = false;
      node.log('QuestDB is reachable again');
    };

    node.on('input', (msg: QueryMessage, send: Send, done: Done) => {
      if (!server) return done(new Error('questdb-query: no QuestDB server configured'));
      if (ratesError) return done(ratesError);
      const params =
        typeof msg.params === 'object' && msg.params !== null ? (msg.params as Record<string, unknown>) : {};
      let sql: string;
      try {
        if (def.mode === 'sql' || def.mode === undefined) {
          const text = typeof msg.query === 'string' && msg.query.trim() !== '' ? msg.query : def.sql;
          if (!text?.trim()) throw new Error('questdb-query: no SQL (set it in the node or in msg.query)');
          sql = bindSql(text, params);
        } else {
          const query = presetSql(
            def.mode,
            {
              table: def.table || 'plantwire_telemetry',
              bucket: def.bucket || '1m',
              minutes: Number(def.minutes) || 60,
            },
            params,
          );
          sql = bindSql(query.sql, query.params);
        }
      } catch (error) {
        node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.slice(0, 60) });
        return done(error as Error);
      }
      exec(server.connection, sql).then(
        (result) => {
          back();
          const rows = toRows(result);
          msg.payload = rates ? kpiRows(rows, rates) : def.output === 'series' ? toSeries(rows) : rows;
          node.status({ fill: 'green', shape: 'dot', text: `${rows.length} rows` });
          send(msg);
          done();
        },
        (error: Error) => {
          if (error instanceof QuestDbError && error.kind === 'unavailable') {
            node.status({ fill: 'yellow', shape: 'ring', text: 'QuestDB unavailable' });
            const first = !outage;
            outage = true;
            // A SQL query has someone waiting for its answer: it fails, for Catch (Node-RED logs what no Catch takes).
            if (!preset) return done(error);
            // A dashboard preset ticks on: one warning per outage, and an empty answer each time.
            if (first) node.warn(`questdb-query: ${error.message}; answering empty results until it is back`);
            msg.payload = [];
            send(msg);
            return done();
          }
          back(); // QuestDB answered, if only with an error
          // A dashboard preset before the first point is written: no data yet, not a failure to report.
          if (preset && /table does not exist/.test(error.message)) {
            msg.payload = [];
            node.status({ fill: 'yellow', shape: 'ring', text: 'no data yet: the table does not exist' });
            send(msg);
            return done();
          }
          node.status({ fill: 'red', shape: 'ring', text: error.message.slice(0, 60) });
          done(error);
        },
      );
    });
  }

  RED.nodes.registerType('questdb-query', QuestDbQuery);
};
