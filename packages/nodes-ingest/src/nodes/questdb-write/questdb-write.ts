// The questdb-write node: telemetry points in, committed rows out. Each message is done only when its rows
// are committed; the message then goes on (msg.sf intact) so a store-forward node can be acked.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import {
  DEFAULT_TABLE,
  EVENTS_TABLE,
  eventsFormat,
  genericFormat,
  telemetryFormat,
  type RowFormat,
  type TelemetryTable,
} from '../../core/telemetry-writer.js';
import type { QuestDbConfigNode } from '../config-node.js';

interface QuestDbWriteDef extends NodeDef {
  server: string;
  mode: 'telemetry' | 'generic' | 'events';
  timestampField: string;
  symbols: string;
  table: string;
  partitionBy: TelemetryTable['partitionBy'];
  ttlDays: string;
}

type Send = (msg: (NodeMessage | null)[]) => void;
type Done = (error?: Error) => void;

const PARTITIONS = ['HOUR', 'DAY', 'WEEK', 'MONTH', 'YEAR'];

export = function register(RED: NodeAPI) {
  function QuestDbWrite(this: Node, def: QuestDbWriteDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const server = RED.nodes.getNode(def.server) as QuestDbConfigNode | null;
    const table: TelemetryTable = {
      name: def.table?.trim() || (def.mode === 'events' ? EVENTS_TABLE : DEFAULT_TABLE.name),
      partitionBy: PARTITIONS.includes(def.partitionBy) ? def.partitionBy : 'DAY',
      ttlDays: Number(def.ttlDays) > 0 ? Number(def.ttlDays) : 0,
    };
    let format: RowFormat<unknown> | undefined;
    try {
      format = (
        def.mode === 'generic'
          ? genericFormat({
              name: table.name,
              timestampField: def.timestampField?.trim() ?? 'ts',
              symbols: (def.symbols ?? '')
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            })
          : def.mode === 'events'
            ? eventsFormat(table.name)
            : telemetryFormat(table)
      ) as RowFormat<unknown>;
    } catch (error) {
      node.error(`questdb-write: ${(error as Error).message}`);
    }
    const inFlight = new Set<Promise<unknown>>();
    let written = 0;
    if (!server) {
      node.status({ fill: 'red', shape: 'ring', text: 'no QuestDB server configured' });
      node.error('questdb-write: choose a QuestDB server (questdb-config) in the node settings');
    }
    const show = () => {
      const health = server!.health;
      if (health.state === 'connected')
        node.status({ fill: 'green', shape: 'dot', text: `${written.toLocaleString('en-US')} rows written` });
      else if (health.state === 'retrying')
        node.status({ fill: 'yellow', shape: 'ring', text: `retrying: ${health.detail ?? ''}`.slice(0, 60) });
      else node.status({ fill: 'red', shape: 'ring', text: 'auth error: check the server credentials' });
    };
    const stopListening = server?.onHealth(show);

    node.on('input', (msg: NodeMessage, send: Send, done: Done) => {
      if (!server) return done(new Error('questdb-write: no QuestDB server configured'));
      if (!format)
        return done(new Error(`questdb-write: table name "${table.name}" must be letters, digits and _`));
      const writer = server.writer(format);
      const write = writer.write(msg.payload).then(
        (result) => {
          written += result.written;
          show();
          // The message goes on once its rows are settled, written or refused, so a store-forward batch is acked
          // (refused points do not get better by retrying) and an ingest request gets its answer.
          const out = msg as NodeMessage & { questdb?: unknown };
          out.questdb = { written: result.written, rejected: result.rejected.length };
          const rejected =
            result.rejected.length > 0
              ? ({ topic: 'rejected', payload: result.rejected } as NodeMessage)
              : null;
          send([out, rejected]);
          done();
        },
        (error: Error) => {
          show();
          done(error);
        },
      );
      inFlight.add(write);
      void write.finally(() => inFlight.delete(write));
    });

    node.on('close', (done: () => void) => {
      stopListening?.();
      // The config node flushes its writers on close; wait for this node's writes to settle (at most 10 s).
      const timeout = new Promise((resolve) => setTimeout(resolve, 10_000).unref());
      Promise.race([Promise.allSettled([...inFlight]), timeout]).then(() => done());
    });
  }

  RED.nodes.registerType('questdb-write', QuestDbWrite);
};
