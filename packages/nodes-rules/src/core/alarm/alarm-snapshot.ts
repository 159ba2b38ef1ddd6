// The persisted form of the alarms: enough to come back after a restart without announcing anything again.
import { isIdentifier } from '@plantwire/telemetry';
import type { Alarm } from './alarm.js';
import type { AlarmTransitions } from './alarm-transitions.js';
import type { SeriesIndex } from './series-index.js';

export interface AlarmSnapshot {
  version: 1;
  key: string;
  alarms: AlarmRecord[];
}

interface AlarmRecord {
  id: string;
  key: string;
  composite: boolean;
  active: boolean;
  acked: boolean;
  outOfService: boolean;
  suppressed: boolean;
  shelvedUntil: number;
  value: number;
  limit: number;
  unit: string;
  /** Where its newest point came from; absent in files of versions before. */
  tenant?: string;
  plant?: string;
  line?: string;
  activeSince: number;
  announcedAt: number;
  changedAt: number;
  activations: number[];
  message: string;
}

/** The state worth keeping across a restart: every alarm that is not plainly normal. */
export function takeSnapshot(alarms: Iterable<Alarm>, keyName: string): AlarmSnapshot {
  const records: AlarmRecord[] = [];
  for (const alarm of alarms) {
    if (alarm.state === 'normal' && alarm.activations.length === 0) continue;
    records.push({
      id: alarm.id,
      key: alarm.key,
      composite: alarm.composite,
      active: alarm.active,
      acked: alarm.acked,
      outOfService: alarm.outOfService,
      suppressed: alarm.suppressed,
      shelvedUntil: alarm.shelvedUntil,
      value: alarm.value,
      limit: alarm.limit,
      unit: alarm.unit,
      ...alarm.place(),
      activeSince: alarm.activeSince,
      announcedAt: alarm.announcedAt,
      changedAt: alarm.changedAt,
      activations: alarm.activations,
      message: alarm.message,
    });
  }
  return { version: 1, key: keyName, alarms: records };
}

/**
 * Takes back a snapshot without announcing anything (quiet start): alarms that were active stay active and
 * are re-checked by the next points. A delay that was running is not kept: it starts again from fresh points
 * rather than firing on a reading from before the restart. Alarms of rules that no longer exist are dropped.
 */
export function restoreSnapshot(
  snapshot: AlarmSnapshot,
  into: { keyName: string; index: SeriesIndex; transitions: AlarmTransitions; now: number },
): { restored: number; dropped: number } {
  if (snapshot?.version !== 1 || !Array.isArray(snapshot.alarms))
    throw new Error('not an alarm state snapshot (version 1)');
  if (snapshot.key !== into.keyName) return { restored: 0, dropped: snapshot.alarms.length };
  const restored: Alarm[] = [];
  for (const record of snapshot.alarms) {
    // Only keys made of identifiers can belong to an alarm: anything else in the file is skipped (dropped).
    if (typeof record?.id !== 'string' || typeof record.key !== 'string') continue;
    if (!record.key.split('/').every(isIdentifier)) continue;
    const candidates = record.composite
      ? into.index.machineFor(record.key).alarms
      : (into.index.seriesFor(record.key.split('/'))?.limits ?? []);
    const alarm = candidates.find((candidate) => candidate.id === record.id);
    if (!alarm) continue;
    alarm.active = record.active;
    alarm.acked = record.acked;
    alarm.outOfService = record.outOfService;
    alarm.suppressed = record.suppressed;
    alarm.shelvedUntil = record.shelvedUntil;
    alarm.value = record.value ?? NaN;
    alarm.limit = record.limit ?? NaN;
    alarm.unit = record.unit ?? '';
    alarm.tenant = record.tenant;
    alarm.plant = record.plant;
    alarm.line = record.line;
    alarm.activeSince = record.activeSince;
    // A restart does not count as time without an answer: the re-alarm clock starts again now.
    alarm.announcedAt = Math.max(record.announcedAt, into.now);
    alarm.changedAt = record.changedAt;
    alarm.activations = record.activations ?? [];
    alarm.message = record.message ?? '';
    restored.push(alarm);
  }
  into.transitions.restored(restored);
  return { restored: restored.length, dropped: snapshot.alarms.length - restored.length };
}
