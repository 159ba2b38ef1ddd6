// The questdb-query node: SQL from the editor or the message, parameters bound as literals, results as rows or
// as a series Dashboard 2.0's ui-chart takes as it is.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { exec } from '../../core/questdb-http.js';
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

    node.on('input', (msg: QueryMessage, send: Send, done: Done) => {
      if (!server) return done(new Error('questdb-query: no QuestDB server configured'));
      const params =
        typeof msg.params === 'object' && msg.params !== null ? (msg.params as Record<string, unknown>) : {};
      let sql: string;
      try {
        if (def.mode === 'sql' || def.mode === undefined) {
          const text = typeof msg.query === 'string' && msg.query.trim() !== '' ? msg.query : def.sql;
          if (!text?.trim()) throw new Error('questdb-query: no SQL (set it in the node or in msg.query)');
          sql = bindSql(text, params);
        } else {
          const preset = presetSql(
            def.mode,
            {
              table: def.table || 'plantwire_telemetry',
              bucket: def.bucket || '1m',
              minutes: Number(def.minutes) || 60,
            },
            params,
          );
          sql = bindSql(preset.sql, preset.params);
        }
      } catch (error) {
        node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.slice(0, 60) });
        return done(error as Error);
      }
      exec(server.connection, sql).then(
        (result) => {
          const rows = toRows(result);
          msg.payload = def.output === 'series' ? toSeries(rows) : rows;
          node.status({ fill: 'green', shape: 'dot', text: `${rows.length} rows` });
          send(msg);
          done();
        },
        (error: Error) => {
          // A dashboard preset before the first point is written: no data yet, not a failure to report.
          if (def.mode !== 'sql' && def.mode !== undefined && /table does not exist/.test(error.message)) {
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
