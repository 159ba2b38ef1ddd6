// Which of kafkajs's own log lines reach Node-RED's log as warnings: its errors and warnings (the nodes show
// failures in their status and retry; a broker failover is not a flow error); the rest, and warnings known to be
// harmless here, only at Node-RED's debug level.
import { logLevel } from 'kafkajs';

/**
 * kafkajs warns at every start of an idempotent producer whose retries are limited, and ours are: it inherits the
 * client's `retry` (8 retries, long enough to outlast a leader failover) so a send fails in time instead of never.
 * Exactly-once is not what we rely on: the delivering producer resends what kafkajs left out, and QuestDB
 * deduplicates on (ts, id), so a duplicate after exhausted retries is harmless. Logged on every deploy, the
 * warning only alarmed users.
 */
const HARMLESS_WARNINGS = ['Limiting retries for the idempotent producer may invalidate EoS guarantees'];

/** Where a kafkajs log entry goes in Node-RED's log. */
export function kafkaLogLevel(level: logLevel, message: string): 'warn' | 'debug' {
  if (level > logLevel.WARN || level === logLevel.NOTHING) return 'debug';
  return HARMLESS_WARNINGS.some((known) => message.startsWith(known)) ? 'debug' : 'warn';
}
