// The kafka-consume node: one member of a consumer group. Each fetched batch goes out as one message (payload:
// the points); its answer comes back on the input (wire the downstream node's output, e.g. questdb-write's,
// and a Catch node back here), and only then is its offset committed. No answer, or an error, redelivers it.
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
import { GroupConsumer, type Delivery } from '../../core/group-consumer.js';
import { checkTopic, connectWithRetry, kafkaCluster } from '../config-node.js';

const SETTINGS = {
  topic: setting.text('plantwire-points'),
  groupId: setting.text('plantwire-workers'),
  fromBeginning: setting.flag(true),
  maxInFlight: setting.integer(8, { min: 1 }),
  // Timers take at most 2^31 ms (24.8 days); a longer one fires at once.
  ackTimeoutS: setting.number(60, { min: 0.1, max: 86_400 }),
  retryDelayS: setting.number(1, { min: 0.01, max: 3_600 }),
  // The brokers' defaults (group.min/max.session.timeout.ms) allow 6 s to 30 minutes.
  sessionTimeoutS: setting.number(30, { min: 6, max: 1_800 }),
};

const STATUS_THROTTLE_MS = 250;

interface Answer extends NodeMessage {
  kafka?: { consumer?: unknown; token?: unknown };
  error?: unknown;
}

export = function register(RED: NodeAPI) {
  function KafkaConsume(this: Node, def: NodeDef & { cluster?: string }) {
    RED.nodes.createNode(this, def);
    const node = this;
    const shell = nodeShell(RED, node, 'kafka-consume');
    const cluster = kafkaCluster(RED, node, shell, def.cluster);
    let consumer: GroupConsumer | undefined;
    let closed = false;
    let connected = false;

    const report = new Throttle(STATUS_THROTTLE_MS, () => {
      if (!consumer || !connected) return;
      const stats = consumer.stats();
      if (stats.crash?.refused)
        return shell.status.error(shell.text('status.refused', { error: stats.crash.error }));
      if (stats.crash)
        return shell.status.waiting(shell.text('status.unreachable', { error: stats.crash.error }));
      if (!stats.joined) return shell.status.waiting(shell.text('status.connecting'));
      const text = shell.text('status.consuming', {
        partitions: stats.assigned.length > 0 ? stats.assigned.join(',') : '-',
        lag: stats.lag.toLocaleString('en-US'),
        inFlight: stats.inFlight,
      });
      if (stats.paused) shell.status.busy(`${text}, ${shell.text('status.paused')}`);
      else shell.status.ok(text);
    });

    const deliver = (delivery: Delivery) => {
      const { token, topic, partition, firstOffset, lastOffset, attempt, items } = delivery;
      node.send({
        topic,
        payload: items,
        kafka: { consumer: node.id, token, topic, partition, firstOffset, lastOffset, attempt },
      } as NodeMessage);
      report.request();
    };

    if (!(cluster instanceof Error)) {
      try {
        const settings = shell.settings(def, SETTINGS);
        checkTopic(shell, settings.topic);
        consumer = new GroupConsumer(cluster.kafka, {
          ...settings,
          ackTimeoutMs: settings.ackTimeoutS * 1000,
          retryDelayMs: settings.retryDelayS * 1000,
          sessionTimeoutMs: settings.sessionTimeoutS * 1000,
          deliver,
          onChange: () => report.request(),
          onProblem: (message) => shell.warn('warnings.problem', { error: message }),
        });
      } catch (error) {
        shell.refuseSetup(error);
      }
    }

    if (consumer) {
      const c = consumer;
      shell.status.waiting(shell.text('status.connecting'));
      void connectWithRetry(
        () => c.start(),
        (error) => shell.status.waiting(shell.text('status.unreachable', { error: error.message })),
        () => closed,
      ).then((ok) => {
        connected = ok;
        report.now();
      });
    }

    node.on('input', (msg: Answer, _send: Send, done: Done) => {
      if (cluster instanceof Error) return done(cluster);
      if (!consumer) return done(shell.notConfigured());
      const answer = msg.kafka;
      if (!answer || typeof answer !== 'object' || typeof answer.token !== 'string') {
        shell.status.error(shell.text('status.notAnAnswer'));
        return done(shell.error('errors.notAnAnswer'));
      }
      if (answer.consumer !== node.id) {
        const other = String(answer.consumer);
        shell.status.error(shell.text('status.foreignAnswer', { other }));
        return done(shell.error('errors.foreignAnswer', { other }));
      }
      // An answer for a delivery a rebalance forgot is fine: the records are delivered again, not lost.
      consumer.settle(answer.token, msg.error === undefined || msg.error === null);
      done();
    });

    shell.onClose(async () => {
      closed = true;
      report.cancel();
      // Settled deliveries are committed before leaving the group; open ones go to the next owner. Not awaited
      // when never connected: kafkajs's disconnect may wait for its connect retries.
      const stopping = consumer
        ?.stop()
        .catch((error: Error) => shell.warn('warnings.problem', { error: error.message }));
      if (stopping && connected) await settledWithin([stopping]);
    });
  }

  registerNode(RED, 'kafka-consume', KafkaConsume, SETTINGS);
};
