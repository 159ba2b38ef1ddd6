// What alarm-notify takes: threshold-alarm's events and anomaly-detect's flagged points (one or an array),
// normalised by the ingest package's toEvents, the one reader of those shapes.
import { toEvents, type EventRejection, type PlantEvent } from '@plantwire/node-red-questdb';

export interface NotifyDefaults {
  /** For events that name no tenant (in the event or its alarm key); '' for none. */
  tenant: string;
  plant: string;
}

export function notifyEvents(
  payload: unknown,
  defaults: NotifyDefaults,
): { events: PlantEvent[]; rejected: EventRejection[] } {
  const items = Array.isArray(payload) ? payload : [payload];
  const plant = defaults.plant || undefined;
  const first = toEvents(items, { plant });
  if (!defaults.tenant) return first;
  // The token-style tenant of toEvents also refuses other tenants: give it only to events that name none.
  const missing = first.rejected.filter((r) => r.reason.startsWith('tenant is missing'));
  if (missing.length === 0) return first;
  const second = toEvents(
    missing.map((r) => items[r.index]),
    { tenant: defaults.tenant, plant },
  );
  return {
    events: [...first.events, ...second.events].sort((a, b) => a.ts - b.ts),
    rejected: [
      ...first.rejected.filter((r) => !missing.includes(r)),
      ...second.rejected.map((r) => ({ ...r, index: missing[r.index]!.index })),
    ].sort((a, b) => a.index - b.index),
  };
}
