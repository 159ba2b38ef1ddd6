// The kafka-produce node: points in, records out to one topic (acks=all, idempotent, keyed by machine). A
// message is done, and goes on with msg.sf intact, only once every one of its records is acknowledged, so a
// store-forward node upstream acks exactly then; a failure is done(error) for a Catch node to answer with.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import {
  nodeShell,
  registerNode,
  setting,
  settledWithin,
  Throttle,
  type Done,
  type Send,
  type Settings,
} from '@plantwire/node-shell';
import { DeliveringProducer, RecordsRefusedError } from '../../core/delivering-producer.js';
import { NotJsonError, toRecords } from '../../core/records.js';
import { checkTopic, connectWithRetry, kafkaCluster } from '../config-node.js';

const SETTINGS = {
  topic: setting.text('plantwire-points'),
  keyField: setting.text('machine'),
  maxPointsPerRecord: setting.integer(500, { min: 1 }),
  // Under the brokers' default message.max.bytes (1 MB).
  maxBatchKB: setting.integer(900, { min: 1 }),
  deliveryCheck: setting.flag(true),
  maxResends: setting.integer(10, { min: 0 }),
  compression: setting.choice('gzip', ['gzip', 'none']),
};

const STATUS_THROTTLE_MS = 250;

export = function register(RED: NodeAPI) {
  function KafkaProduce(this: Node, def: NodeDef & { cluster?: string }) {
    RED.nodes.createNode(this, def);
    const node = this;
    const shell = nodeShell(RED, node, 'kafka-produce');
    const cluster = kafkaCluster(RED, node, shell, def.cluster);
    let closed = false;
    let connected = false;
    let producer: DeliveringProducer | undefined;
    let ready: Promise<boolean> = Promise.resolve(false);
    /** Why the brokers were not reached, from the first failed connect until the first that succeeds. */
    let unreachable: Error | undefined;
    let settings: Settings<typeof SETTINGS> | undefined;
    if (!(cluster instanceof Error)) {
      try {
        settings = shell.settings(def, SETTINGS);
        checkTopic(shell, settings.topic);
        producer = new DeliveringProducer(cluster.kafka, {
          ...settings,
          maxBatchBytes: settings.maxBatchKB * 1024,
        });
      } catch (error) {
        shell.refuseSetup(error);
      }
    }
    const inFlight = new Set<Promise<unknown>>();

    const report = new Throttle(STATUS_THROTTLE_MS, () => {
      const stats = producer!.stats();
      const parts = [shell.text('status.delivered', { records: stats.delivered.toLocaleString('en-US') })];
      if (stats.resent > 0) parts.push(shell.text('status.resent', { records: stats.resent }));
      if (stats.pending > 0) parts.push(shell.text('status.pending', { records: stats.pending }));
      shell.status.ok(parts.join(', '));
    });

    if (producer) {
      const p = producer;
      shell.status.waiting(shell.text('status.connecting'));
      ready = connectWithRetry(
        async () => {
          await p.connect();
          unreachable = undefined;
        },
        (error) => {
          unreachable = error;
          shell.status.waiting(shell.text('status.unreachable', { error: error.message }));
        },
        () => closed,
      );
      void ready.then((ok) => {
        connected = ok;
        if (ok) report.now();
      });
    }

    node.on(
      'input',
      (msg: NodeMessage & { kafka?: unknown; statusCode?: number }, send: Send, done: Done) => {
        if (cluster instanceof Error) return done(cluster);
        if (!producer || !settings) return done(shell.notConfigured());
        // A message waits only while the brokers are first tried, then is answered at once: held, messages would
        // pile up in memory while the edge is offline (store-forward sends them again anyway); answered, it backs off.
        if (unreachable) return done(shell.error('errors.unreachable', { error: unreachable.message }));
        const items = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
        const { topic, keyField, maxPointsPerRecord } = settings;
        let records: ReturnType<typeof toRecords>;
        try {
          records = toRecords(items, keyField, node.id, maxPointsPerRecord);
        } catch (error) {
          if (!(error instanceof NotJsonError)) throw error;
          const refusal = shell.error('errors.notJson', { error: error.message });
          shell.status.error(refusal.message);
          return done(refusal);
        }
        const p = producer;
        const delivery = ready
          .then((ok) => {
            // Closed before the brokers answered: the message stays unanswered, and store-forward upstream sends
            // it again after the redeploy (an error here would only log noise for every message held back).
            if (!ok) return new Promise<void>(() => {});
            return p.deliver(topic, records);
          })
          .then(
            () => {
              // Added to, not replaced: a relay (kafka-consume -> kafka-produce -> back to kafka-consume) answers
              // with kafka-consume's msg.kafka {consumer, token}, without which its batch is never committed.
              const produced = { topic, records: records.length };
              const before = msg.kafka;
              msg.kafka = isObject(before) ? { ...before, ...produced } : produced;
              send(msg);
              done();
              report.request();
            },
            (error: Error) => {
              shell.status.error(error.message);
              if (!(error instanceof RecordsRefusedError))
                return done(shell.error('errors.notDelivered', { error: error.message }));
              // A Catch node passes on a copy of msg: with a 4xx status, store-forward sets the batch aside
              // (quarantine) instead of sending it again for ever.
              msg.statusCode = 413;
              done(shell.error('errors.refused', { error: error.message }));
            },
          );
        inFlight.add(delivery);
        void delivery.finally(() => inFlight.delete(delivery));
      },
    );

    shell.onClose(async () => {
      closed = true;
      report.cancel();
      if (!connected) {
        // Never connected: nothing was handed to Kafka, and a disconnect may wait for kafkajs's connect retries.
        void producer?.disconnect().catch(() => {});
        return;
      }
      // What was handed over is delivered before the producer goes (at most 10 s), and its goodbye to the brokers
      // gets 2 s more: with the brokers gone the close still ends within Node-RED's 15 s (it took up to 20).
      await settledWithin([...inFlight]);
      await settledWithin([producer!.disconnect().catch(() => {})], 2_000);
    });
  }

  registerNode(RED, 'kafka-produce', KafkaProduce, SETTINGS);
};

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
