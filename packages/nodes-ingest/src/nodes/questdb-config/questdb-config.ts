// The questdb-config node: one QuestDB server, its credentials (in Node-RED's credentials store only), and the
// writers the flows share, one sender per table and settings. A config node has no status: when it refuses its settings it
// logs why and keeps the reason in `refused`, which its write and query nodes show.
import type { NodeAPI, NodeDef } from 'node-red';
import { nodeShell, registerNode, setting, SettingError, settledWithin } from '@plantwire/node-shell';
import { connectionProblem } from '../../core/questdb-http.js';
import { QuestDbWriter, type RowFormat } from '../../core/telemetry-writer.js';
import type { Health, QuestDbConfigNode } from '../config-node.js';

const SETTINGS = {
  url: setting.text('http://127.0.0.1:9000'),
  tlsVerify: setting.flag(true),
  caFile: setting.text(''),
  // Timers: Node runs a longer one at once (2^31 ms is 24.8 days); these maxima are far past any use.
  requestTimeoutS: setting.number(10, { min: 0.1, max: 3_600 }),
  flushRows: setting.integer(10_000, { min: 1 }),
  flushIntervalMs: setting.integer(100, { min: 1, max: 3_600_000 }),
  maxAttempts: setting.integer(10, { min: 1 }),
};

export = function register(RED: NodeAPI) {
  function QuestDbConfig(this: QuestDbConfigNode, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const shell = nodeShell(RED, node, 'questdb-config');
    const writers = new Map<string, { writer: QuestDbWriter<unknown>; users: number }>();
    const listeners = new Set<(health: Health) => void>();
    node.health = { state: 'connected' };
    node.onHealth = (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    };
    let settings;
    try {
      settings = shell.settings(def, SETTINGS);
      const problem = connectionProblem(settings);
      if (problem?.setting === 'url')
        throw new SettingError('url', shell.text('errors.url', { url: settings.url }));
      if (problem?.setting === 'caFile')
        throw new SettingError('caFile', shell.text('errors.caFile', problem));
    } catch (error) {
      node.refused = (error as Error).message;
      node.error(`questdb-config: ${node.refused}`);
      node.writer = () => {
        throw shell.error('errors.refused', { reason: node.refused! });
      };
      return;
    }
    const { flushRows, flushIntervalMs, maxAttempts } = settings;
    node.connection = {
      url: settings.url,
      username: node.credentials?.username || undefined,
      password: node.credentials?.password || undefined,
      token: node.credentials?.token || undefined,
      tlsVerify: settings.tlsVerify,
      caFile: settings.caFile || undefined,
      requestTimeoutMs: settings.requestTimeoutS * 1000,
    };
    node.writer = <T>(format: RowFormat<T>) => {
      let shared = writers.get(format.key);
      if (!shared) {
        const writer = new QuestDbWriter(node.connection, format, {
          flushRows,
          flushIntervalMs,
          maxAttempts,
          warn: (message) => node.warn(message),
          onState: (state, detail) => {
            if (state === node.health.state && detail === node.health.detail) return;
            node.health = { state, detail };
            if (state === 'auth-error')
              node.error(shell.error('errors.auth', { detail: detail ?? '' }).message);
            for (const listener of listeners) listener(node.health);
          },
        });
        shared = { writer: writer as QuestDbWriter<unknown>, users: 0 };
        writers.set(format.key, shared);
      }
      shared.users++;
      return shared.writer as QuestDbWriter<T>;
    };
    node.release = async (format) => {
      const shared = writers.get(format.key);
      if (!shared || --shared.users > 0) return;
      writers.delete(format.key);
      await shared.writer.close();
    };
    // Whatever the flows handed over gets one more attempt before the senders close (a request to a server that
    // does not answer lasts up to requestTimeoutS: the close ends in time anyway).
    shell.onClose(async () => {
      const closing = [...writers.values()].map(({ writer }) => writer.close());
      writers.clear();
      await settledWithin(closing);
    });
  }

  registerNode(RED, 'questdb-config', QuestDbConfig as never, SETTINGS, {
    username: { type: 'text' },
    password: { type: 'password' },
    token: { type: 'password' },
  });
};
