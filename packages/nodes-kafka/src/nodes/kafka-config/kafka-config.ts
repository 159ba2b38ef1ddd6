// The kafka-config node: one Kafka cluster (brokers, client id, TLS, SASL) and its kafkajs client, shared by the
// produce and consume nodes using it. Secrets live in Node-RED's credentials store only. A config node has no
// status: when it refuses its settings it logs why and keeps the reason in `refused`, which its users show.
import type { NodeAPI, NodeDef } from 'node-red';
import { Kafka, logLevel, type logCreator } from 'kafkajs';
import { nodeShell, registerNode, setting } from '@plantwire/node-shell';
import { kafkaClientConfig, sendsPasswordInClear } from '../../core/client-config.js';
import { kafkaLogLevel } from '../../core/kafka-log.js';
import type { KafkaConfigNode } from '../config-node.js';

const SETTINGS = {
  brokers: setting.text('127.0.0.1:9092'),
  clientId: setting.text('plantwire'),
  tls: setting.flag(false),
  tlsVerify: setting.flag(true),
  caFile: setting.text(''),
  sasl: setting.choice('none', ['none', 'plain', 'scram-sha-256', 'scram-sha-512']),
  connectionTimeoutS: setting.number(3, { min: 0.1, max: 300 }),
};

const REPEAT_WARNING_MS = 600_000;

export = function register(RED: NodeAPI) {
  function KafkaConfig(this: KafkaConfigNode, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const shell = nodeShell(RED, node, 'kafka-config');
    // kafkajs's own log goes to Node-RED's log: its errors as warnings, the rest (and warnings known to be
    // harmless here, such as the idempotent producer's limited retries) only at Node-RED's debug level; see
    // core/kafka-log.ts. kafkajs repeats a failed connection on every retry: each distinct warning is logged at
    // most once in 10 minutes.
    const warnedAt = new Map<string, number>();
    const toNodeRed: logCreator =
      () =>
      ({ level, log }) => {
        const line = `kafkajs ${log.logger ?? ''}: ${log.message}`;
        if (kafkaLogLevel(level, String(log.message)) === 'debug') return node.debug(line);
        const now = Date.now();
        if (now - (warnedAt.get(line) ?? -Infinity) < REPEAT_WARNING_MS) return node.debug(line);
        if (warnedAt.size >= 1000) warnedAt.clear();
        warnedAt.set(line, now);
        node.warn(line);
      };
    try {
      const settings = shell.settings(def, SETTINGS);
      node.kafka = new Kafka({
        ...kafkaClientConfig({
          ...settings,
          connectionTimeoutMs: settings.connectionTimeoutS * 1000,
          username: node.credentials?.username || undefined,
          password: node.credentials?.password || undefined,
        }),
        // Retries long enough to outlast a leader failover (10-13 s with a 3-broker cluster), so a send waits
        // for the new leader rather than failing.
        retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
        logLevel: logLevel.WARN,
        logCreator: toNodeRed,
      });
      if (sendsPasswordInClear(settings)) shell.warn('warnings.passwordInClear');
    } catch (error) {
      node.refused = (error as Error).message;
      node.error(`kafka-config: ${node.refused}`);
    }
  }

  registerNode(RED, 'kafka-config', KafkaConfig as never, SETTINGS, {
    username: { type: 'text' },
    password: { type: 'password' },
  });
};
