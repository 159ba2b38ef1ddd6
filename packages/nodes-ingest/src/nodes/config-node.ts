// What questdb-write and questdb-query use of their questdb-config node.
import type { Node, NodeAPI } from 'node-red';
import type { NodeShell } from '@plantwire/node-shell';
import type { QuestDbConnection } from '../core/questdb-http.js';
import type { QuestDbWriter, RowFormat } from '../core/telemetry-writer.js';

export type Health = { state: 'connected' | 'retrying' | 'auth-error'; detail?: string };

export interface QuestDbConfigNode extends Node<{ username?: string; password?: string; token?: string }> {
  /** Why the config node refused its settings (it then has no connection); undefined when it took them. */
  refused?: string;
  connection: QuestDbConnection;
  /**
   * The writer for a format, shared by the nodes that write alike (one sender per table and settings), made on
   * first use. Each node takes it once and releases it on close; the last one out closes it (after a flush), so a
   * node redeployed with new settings gets a writer with them.
   */
  writer<T>(format: RowFormat<T>): QuestDbWriter<T>;
  release(format: RowFormat<unknown>): Promise<void>;
  health: Health;
  onHealth(listener: (health: Health) => void): () => void;
}

/**
 * The questdb-config node chosen in a write or query node's `server` setting, or the Error each message is to be
 * answered with: no server chosen (said at deploy, as the node's red status and an error) or a server that
 * refused its settings (the node refuses its setup, saying why). Texts: `status.noServer`, `errors.noServer`,
 * `errors.chooseServer` and `errors.serverRefused` in the node's catalogue.
 */
export function questDbServer(
  RED: NodeAPI,
  node: Node,
  shell: NodeShell,
  id: unknown,
): QuestDbConfigNode | Error {
  const server = (id ? RED.nodes.getNode(String(id)) : null) as QuestDbConfigNode | null;
  if (!server) {
    shell.status.error(shell.text('status.noServer'));
    node.error(shell.error('errors.chooseServer').message);
    return shell.error('errors.noServer');
  }
  if (server.refused !== undefined) {
    shell.refuseSetup(shell.text('errors.serverRefused', { reason: server.refused }));
    return shell.notConfigured();
  }
  return server;
}
