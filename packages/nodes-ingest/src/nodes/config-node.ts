// What questdb-write and questdb-query use of their questdb-config node.
import type { Node } from 'node-red';
import type { QuestDbConnection } from '../core/questdb-http.js';
import type { TelemetryTable, TelemetryWriter } from '../core/telemetry-writer.js';

export type Health = { state: 'connected' | 'retrying' | 'auth-error'; detail?: string };

export interface QuestDbConfigNode extends Node<{ username?: string; password?: string; token?: string }> {
  connection: QuestDbConnection;
  writer(table: TelemetryTable): TelemetryWriter;
  health: Health;
  onHealth(listener: (health: Health) => void): () => void;
}
