import { describe, expect, it } from 'vitest';
import { unacknowledged } from '../src/core/delivery-check.js';

const records = [
  { id: 'a', partition: 0 },
  { id: 'b', partition: 1 },
  { id: 'c', partition: 2 },
  { id: 'd', partition: 1 },
];
const partitionOf = (r: { id: string; partition?: number }) => r.partition;

describe('unacknowledged (the delivery check)', () => {
  it('is empty when the result acknowledges every partition sent to', () => {
    const result = [0, 1, 2].map((partition) => ({ partition, errorCode: 0 }));
    expect(unacknowledged(records, partitionOf, result)).toEqual([]);
  });

  it("returns the records of a partition missing from the result (kafkajs #1303's silent loss), in order", () => {
    const result = [
      { partition: 0, errorCode: 0 },
      { partition: 2, errorCode: 0 },
    ];
    expect(unacknowledged(records, partitionOf, result).map((r) => r.id)).toEqual(['b', 'd']);
  });

  it('counts a partition answered with an error code as not acknowledged', () => {
    const result = [
      { partition: 0, errorCode: 0 },
      { partition: 1, errorCode: 0 },
      { partition: 2, errorCode: 6 },
    ];
    expect(unacknowledged(records, partitionOf, result).map((r) => r.id)).toEqual(['c']);
  });

  it('resends a record whose partition is unknown rather than assume it arrived', () => {
    const result = [0, 1, 2].map((partition) => ({ partition, errorCode: 0 }));
    expect(unacknowledged([{ id: 'x' }], partitionOf, result)).toEqual([{ id: 'x' }]);
  });
});
