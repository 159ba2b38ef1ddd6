import { createHash, randomFillSync } from 'node:crypto';
import { matchesUuid } from './patterns.js';

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const COUNTER_MAX = 0xfff;
// One byte seeds the counter, eight carry the 62 random bits.
const ID_RANDOM_BYTES = 9;

export type UuidV7Generator = (ms?: number) => string;

/**
 * A UUIDv7 generator (RFC 9562): 48-bit epoch ms, then a 12-bit counter (method 1) so ids made in the same
 * millisecond still sort in creation order, then 62 random bits. When the counter runs out the embedded time
 * moves on by 1 ms rather than break the order. `ms` lets a backfill stamp ids with event time; order is
 * promised only while the times passed in do not go back.
 */
export function createUuidV7Generator(
  now: () => number = Date.now,
  fillRandom: (bytes: Uint8Array) => void = randomFillSync,
): UuidV7Generator {
  const random = Buffer.alloc(ID_RANDOM_BYTES * 1024);
  let randomOffset = random.length;
  /** The time in the last id: ahead of the clock while a burst outruns the counter. */
  let lastMs = -1;
  /** The last time passed in. */
  let clockMs = -1;
  let counter = 0;
  // The id is written as ASCII into one buffer and read out as one flat string: concatenating 20 pieces made
  // a rope of short-lived strings per id, and garbage collection became most of the cost of a fast producer.
  const text = Buffer.from('00000000-0000-7000-8000-000000000000', 'latin1');
  let textMs = -1;
  const put = (at: number, byte: number) => {
    text[at] = HEX_DIGITS[byte >>> 4]!;
    text[at + 1] = HEX_DIGITS[byte & 0x0f]!;
  };

  return (ms = now()) => {
    // A clock that steps back a little keeps counting on the last time; a big step back is a deliberate backfill.
    // Measured from the last time passed in, not the last id's: a long burst moves that ahead of the clock, and a
    // second ahead it would look like a backfill and break the order.
    if (ms > lastMs || ms < clockMs - 1000) {
      lastMs = ms;
      counter = -1;
    }
    clockMs = ms;
    if (randomOffset === random.length) {
      fillRandom(random);
      randomOffset = 0;
    }
    // A fresh millisecond starts the counter at a random point in its lower half: unguessable, with room to count.
    counter = counter < 0 ? random[randomOffset]! << 3 : counter + 1;
    if (counter > COUNTER_MAX) {
      lastMs += 1;
      counter = 0;
    }
    const r = randomOffset;
    randomOffset += ID_RANDOM_BYTES;
    if (textMs !== lastMs) {
      textMs = lastMs;
      const high = Math.floor(lastMs / 0x1000000);
      const low = lastMs % 0x1000000;
      put(0, (high >>> 16) & 0xff);
      put(2, (high >>> 8) & 0xff);
      put(4, high & 0xff);
      put(6, (low >>> 16) & 0xff);
      put(9, (low >>> 8) & 0xff);
      put(11, low & 0xff);
    }
    put(14, 0x70 | (counter >>> 8));
    put(16, counter & 0xff);
    put(19, 0x80 | (random[r + 1]! & 0x3f));
    put(21, random[r + 2]!);
    put(24, random[r + 3]!);
    put(26, random[r + 4]!);
    put(28, random[r + 5]!);
    put(30, random[r + 6]!);
    put(32, random[r + 7]!);
    put(34, random[r + 8]!);
    return text.toString('latin1', 0, 36);
  };
}

/** The process-wide generator: ids from it sort in creation order. */
export const uuidv7: UuidV7Generator = createUuidV7Generator();

/** The epoch ms a UUIDv7 carries. */
export function uuidV7Time(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && matchesUuid(value);
}

/** Plantwire's namespace for name-based ids (RFC 9562 UUIDv5). */
export const PLANTWIRE_NAMESPACE = 'b7c1e6a2-4f1d-5b8e-9c3a-2d6f0e8a1b44';
const NAMESPACE_BYTES = Buffer.from(PLANTWIRE_NAMESPACE.replaceAll('-', ''), 'hex');

/**
 * A UUIDv5 from a name: the same name always gives the same id. Used where a sender has no ids of its own, so a
 * re-delivered message maps to the same points and deduplicates downstream.
 */
export function nameBasedId(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE_BYTES).update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
