// What questdb-write and questdb-query use of their questdb-config node.
import type { Node } from 'node-red';
import type { QuestDbConnection } from '../core/questdb-http.js';
import type { QuestDbWriter, RowFormat } from '../core/telemetry-writer.js';

export type Health = { state: 'connected' | 'retrying' | 'auth-error'; detail?: string };

export interface QuestDbConfigNode extends Node<{ username?: string; password?: string; token?: string }> {
  connection: QuestDbConnection;
  /** The shared writer for a table (one sender per table), made on first use. */
  writer<T>(format: RowFormat<T>): QuestDbWriter<T>;
  health: Health;
  onHealth(listener: (health: Health) => void): () => void;
}
