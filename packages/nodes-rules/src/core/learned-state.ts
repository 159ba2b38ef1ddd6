// What a series has learned, as text that outlives the process: every number of its state (Float64Arrays whole,
// plain number and boolean fields, nested objects in their own key order) as the base64 of one Float64Array.
// Exact (a double's 8 bytes, NaN and the infinities included, which JSON numbers cannot carry) and about 4/3 the
// state's own size. A state is only ever filled into a fresh state of the same shape: the caller's create().
import type { SeriesMap } from './series-map.js';

/** One series as saved: its key, the values it has taken, and its state's numbers. */
export interface LearnedSeries {
  key: string;
  samples: number;
  numbers: string;
}

/** A state's numbers as base64 (see the file's head). */
export function packState(state: unknown): string {
  const numbers = new Float64Array(countNumbers(state));
  let at = 0;
  visit(
    state,
    (array) => {
      numbers.set(array, at);
      at += array.length;
    },
    (value) => (numbers[at++] = Number(value)),
  );
  return Buffer.from(numbers.buffer).toString('base64');
}

/**
 * Fills `state` (fresh from the same create() as the packed one) with packed numbers; throws a RangeError, having
 * changed nothing, when their count is not the state's (another layout: a changed setting or version).
 */
export function unpackState(state: object, packed: string): void {
  const bytes = Buffer.from(packed, 'base64');
  if (bytes.length % 8 !== 0) throw new RangeError('the packed state is not whole numbers');
  const numbers = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const count = countNumbers(state);
  if (count !== numbers.length)
    throw new RangeError(`the state holds ${count} numbers, the saved one ${numbers.length}`);
  let at = 0;
  visit(
    state,
    (array) => {
      array.set(numbers.subarray(at, at + array.length));
      at += array.length;
    },
    (value, assign) => assign(typeof value === 'boolean' ? numbers[at++] !== 0 : numbers[at++]!),
  );
}

/** Every series of `map`, the least recently used first, its state packed by `pack`. */
export function saveSeries<State>(map: SeriesMap<State>, pack: (state: State) => string): LearnedSeries[] {
  const saved: LearnedSeries[] = [];
  for (const { key, samples, state } of map.entries()) saved.push({ key, samples, numbers: pack(state) });
  return saved;
}

/**
 * Takes series saved by saveSeries into `map` (their recency order kept), each filled into a fresh state by
 * `fill`: all of them, or none when one is not a saved series or does not fit (a TypeError or fill's RangeError).
 */
export function restoreSeries<State>(
  map: SeriesMap<State>,
  saved: unknown,
  fill: (state: State, numbers: string) => void,
): void {
  if (!Array.isArray(saved)) throw new TypeError('the saved series are not a list');
  const states = saved.map((item: unknown, index) => {
    if (!isLearnedSeries(item)) throw new TypeError(`saved series ${index} is not a series`);
    const state = map.newState(item.key);
    fill(state, item.numbers);
    return state;
  });
  saved.forEach((item: LearnedSeries, index) => map.restore(item.key, item.samples, states[index]!));
}

/** Whether `item` has the shape of a LearnedSeries (its numbers are checked when unpacked). */
function isLearnedSeries(item: unknown): item is LearnedSeries {
  if (item === null || typeof item !== 'object') return false;
  const { key, samples, numbers } = item as Record<string, unknown>;
  return (
    typeof key === 'string' &&
    typeof numbers === 'string' &&
    typeof samples === 'number' &&
    Number.isInteger(samples) &&
    samples >= 0
  );
}

function countNumbers(state: unknown): number {
  let count = 0;
  visit(
    state,
    (array) => (count += array.length),
    () => count++,
  );
  return count;
}

/** Walks a state's numbers in a fixed order: `array` for each Float64Array, `scalar` for each number or boolean. */
function visit(
  state: unknown,
  array: (values: Float64Array) => void,
  scalar: (value: number | boolean, assign: (value: number | boolean) => void) => void,
): void {
  if (state instanceof Float64Array) return array(state);
  if (state === null || typeof state !== 'object' || ArrayBuffer.isView(state))
    throw new TypeError('a state is made of Float64Arrays, numbers and booleans');
  const fields = state as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    const value = fields[name];
    if (typeof value === 'number' || typeof value === 'boolean')
      scalar(value, (next) => (fields[name] = next));
    else if (value !== undefined) visit(value, array, scalar);
  }
}
