// The questdb-write node: telemetry points in, committed rows out. Each message is done only when its rows
// are committed; the message then goes on (msg.sf intact) so a store-forward node can be acked.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import {
  nodeShell,
  registerNode,
  setting,
  settledWithin,
  Throttle,
  type Done,
  type Send,
} from '@plantwire/node-shell';
import {
  DEFAULT_TABLE,
  eventsFormat,
  genericFormat,
  tableFor,
  telemetryFormat,
  type RowFormat,
} from '../../core/telemetry-writer.js';
import { questDbServer, type QuestDbConfigNode } from '../config-node.js';

const SETTINGS = {
  mode: setting.choice('telemetry', ['telemetry', 'generic', 'events']),
  timestampField: setting.text('ts'),
  symbols: setting.text(''),
  // The editor's default; a node that names no table gets its mode's own (tableFor).
  table: setting.text(DEFAULT_TABLE.name),
  partitionBy: setting.choice('DAY', ['HOUR', 'DAY', 'WEEK', 'MONTH', 'YEAR']),
  ttlDays: setting.integer(0),
};

export = function register(RED: NodeAPI) {
  function QuestDbWrite(this: Node, def: NodeDef & { server?: string }) {
    RED.nodes.createNode(this, def);
    const node = this;
    const shell = nodeShell(RED, node, 'questdb-write');
    const server = questDbServer(RED, node, shell, def.server);
    let format: RowFormat<unknown> | undefined;
    if (!(server instanceof Error)) {
      try {
        // The table without the editor's default: a node that names none gets its mode's own.
        const settings = shell.settings(def, { ...SETTINGS, table: setting.text() });
        const name = tableFor(settings.mode, settings.table);
        format = (
          settings.mode === 'generic'
            ? genericFormat({
                name,
                timestampField: settings.timestampField,
                symbols: settings.symbols
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean),
              })
            : settings.mode === 'events'
              ? eventsFormat(name)
              : telemetryFormat({ name, partitionBy: settings.partitionBy, ttlDays: settings.ttlDays })
        ) as RowFormat<unknown>;
      } catch (error) {
        shell.refuseSetup(error);
      }
    }
    const inFlight = new Set<Promise<unknown>>();
    let written = 0;
    let refused = 0;
    const show = () => {
      if (server instanceof Error) return;
      const health = server.health;
      const rows = written.toLocaleString('en-US');
      // Refused rows stay in sight: output 2 is often left unwired.
      if (health.state === 'connected' && refused > 0)
        shell.status.warn(
          shell.text('status.writtenRefused', { rows, refused: refused.toLocaleString('en-US') }),
        );
      else if (health.state === 'connected') shell.status.ok(shell.text('status.written', { rows }));
      else if (health.state === 'retrying')
        shell.status.waiting(shell.text('status.retrying', { detail: health.detail ?? '' }));
      else shell.status.error(shell.text('status.authError'));
    };
    // A status per message costs more than writing its rows at 100k rows/s: counts refresh at most every 500 ms.
    const showWritten = new Throttle(500, show);
    const stopListening = server instanceof Error || !format ? undefined : server.onHealth(show);
    const writer = server instanceof Error || !format ? undefined : server.writer(format);
    // Redeployed while its server is in trouble: say so now, not at the first message.
    if (writer && (server as QuestDbConfigNode).health.state !== 'connected') show();

    node.on('input', (msg: NodeMessage, send: Send, done: Done) => {
      if (server instanceof Error) return done(server);
      if (!writer) return done(shell.notConfigured());
      const write = writer.write(msg.payload).then(
        (result) => {
          written += result.written;
          refused += result.rejected.length;
          showWritten.request();
          // The message goes on once its rows are settled, written or refused, so a store-forward batch is
          // acked (refused points do not get better by retrying) and an ingest request gets its answer.
          const out = msg as NodeMessage & { questdb?: unknown };
          out.questdb = { written: result.written, rejected: result.rejected.length };
          // Nothing written (a batch in the wrong shape, say): 422, so store-forward sets the batch aside for
          // inspection instead of acking it away, and an ingest request is answered that nothing was stored.
          if (result.written === 0 && result.rejected.length > 0)
            (out as NodeMessage & { statusCode?: number }).statusCode = 422;
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

    shell.onClose(async () => {
      stopListening?.();
      showWritten.cancel();
      // Wait for this node's writes to settle (at most 10 s). The last node out closes the writer, flushing what
      // is left in the background, so a redeploy during an outage is not held up by its retries.
      await settledWithin([...inFlight]);
      if (writer) void (server as QuestDbConfigNode).release(format!);
    });
  }

  registerNode(RED, 'questdb-write', QuestDbWrite, SETTINGS);
};
