// The questdb-config node: one QuestDB server, its credentials (in Node-RED's credentials store only), and the
// writers the flows share, one sender per table.
import type { NodeAPI, NodeDef } from 'node-red';
import { QuestDbWriter, type RowFormat } from '../../core/telemetry-writer.js';
import type { Health, QuestDbConfigNode } from '../config-node.js';

interface QuestDbConfigDef extends NodeDef {
  url: string;
  tlsVerify: boolean;
  caFile: string;
  protocolVersion: string;
  requestTimeoutS: string;
  flushRows: string;
  flushIntervalMs: string;
  maxAttempts: string;
}

export = function register(RED: NodeAPI) {
  function QuestDbConfig(this: QuestDbConfigNode, def: QuestDbConfigDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const positive = (value: string, fallback: number) => (Number(value) > 0 ? Number(value) : fallback);
    node.connection = {
      url: (def.url || 'http://127.0.0.1:9000').trim(),
      username: node.credentials?.username || undefined,
      password: node.credentials?.password || undefined,
      token: node.credentials?.token || undefined,
      tlsVerify: def.tlsVerify !== false,
      caFile: def.caFile?.trim() || undefined,
      protocolVersion: def.protocolVersion === '2' ? 2 : 1,
      requestTimeoutMs: positive(def.requestTimeoutS, 10) * 1000,
    };
    const writers = new Map<string, QuestDbWriter<unknown>>();
    const listeners = new Set<(health: Health) => void>();
    node.health = { state: 'connected' };
    node.onHealth = (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    };
    node.writer = <T>(format: RowFormat<T>) => {
      let writer = writers.get(format.table) as QuestDbWriter<T> | undefined;
      if (!writer) {
        writer = new QuestDbWriter(node.connection, format, {
          flushRows: positive(def.flushRows, 10_000),
          flushIntervalMs: positive(def.flushIntervalMs, 100),
          maxAttempts: positive(def.maxAttempts, 10),
          warn: (message) => node.warn(message),
          onState: (state, detail) => {
            if (state === node.health.state && detail === node.health.detail) return;
            node.health = { state, detail };
            if (state === 'auth-error')
              node.error(`questdb-config: ${detail}: check the username, password or token`);
            for (const listener of listeners) listener(node.health);
          },
        });
        writers.set(format.table, writer as QuestDbWriter<unknown>);
      }
      return writer;
    };
    node.on('close', (done: () => void) => {
      // Whatever the flows handed over is flushed before the senders close.
      Promise.allSettled([...writers.values()].map((writer) => writer.close())).then(() => done());
    });
  }

  RED.nodes.registerType('questdb-config', QuestDbConfig as never, {
    credentials: { username: { type: 'text' }, password: { type: 'password' }, token: { type: 'password' } },
  });
};
