// How points travel in Kafka: one record per key (the machine) per message, its value a JSON array of the points,
// so an array of points is a few records rather than thousands, and a machine's points stay in one partition.

export interface OutRecord {
  key: string;
  value: string;
}

/**
 * The records for one message's items, in the items' order per key. Items without the key field go under
 * `fallbackKey`; a key's items are split into records of at most `maxItemsPerRecord`. Throws a NotJsonError for
 * items JSON cannot carry (a BigInt, a loop of references).
 */
export function toRecords(
  items: readonly unknown[],
  keyField: string,
  fallbackKey: string,
  maxItemsPerRecord: number,
): OutRecord[] {
  const byKey = new Map<string, unknown[]>();
  for (const item of items) {
    const value =
      item !== null && typeof item === 'object' ? (item as Record<string, unknown>)[keyField] : undefined;
    const key = typeof value === 'string' || typeof value === 'number' ? String(value) : fallbackKey;
    let group = byKey.get(key);
    if (!group) byKey.set(key, (group = []));
    group.push(item);
  }
  const records: OutRecord[] = [];
  for (const [key, group] of byKey) {
    for (let i = 0; i < group.length; i += maxItemsPerRecord) {
      let value: string;
      try {
        value = JSON.stringify(group.slice(i, i + maxItemsPerRecord));
      } catch (error) {
        throw new NotJsonError((error as Error).message.split('\n')[0]!); // a loop's message draws it on more lines
      }
      records.push({ key, value });
    }
  }
  return records;
}

/** Items that cannot be written as JSON: sending them again fails again. */
export class NotJsonError extends Error {}

/** The items of one record: the array it carries, or the one value of a record another producer wrote. */
export function fromRecord(value: Buffer | null): unknown[] {
  if (value === null) return [];
  const text = value.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [text];
  }
  return Array.isArray(parsed) ? parsed : [parsed];
}
