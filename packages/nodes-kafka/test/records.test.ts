import { describe, expect, it } from 'vitest';
import { telemetryPoint } from '@plantwire/testkit';
import { fromRecord, toRecords } from '../src/core/records.js';

describe('records', () => {
  it("groups a message's points into one record per machine, in order, and back", () => {
    const points = [
      telemetryPoint(1, { machine: 'cnc-01' }),
      telemetryPoint(2, { machine: 'pump-01' }),
      telemetryPoint(3, { machine: 'cnc-01' }),
    ];
    const records = toRecords(points, 'machine', 'node', 500);
    expect(records.map((r) => r.key)).toEqual(['cnc-01', 'pump-01']);
    expect(fromRecord(Buffer.from(records[0]!.value))).toEqual([points[0], points[2]]);
    expect(fromRecord(Buffer.from(records[1]!.value))).toEqual([points[1]]);
  });

  it('splits a large group into records of at most maxItemsPerRecord', () => {
    const points = Array.from({ length: 1001 }, (_, i) => telemetryPoint(i));
    const records = toRecords(points, 'machine', 'node', 500);
    expect(records.map((r) => (JSON.parse(r.value) as unknown[]).length)).toEqual([500, 500, 1]);
    expect(records.flatMap((r) => fromRecord(Buffer.from(r.value)))).toEqual(points);
  });

  it('keys items without the key field (or not objects) by the fallback', () => {
    const records = toRecords([{ a: 1 }, 'text', null, { machine: 7 }], 'machine', 'node-1', 10);
    expect(records.map((r) => r.key)).toEqual(['node-1', '7']);
  });

  it('reads a record another producer wrote: one JSON value, plain text, or a tombstone', () => {
    expect(fromRecord(Buffer.from('{"x":1}'))).toEqual([{ x: 1 }]);
    expect(fromRecord(Buffer.from('not json'))).toEqual(['not json']);
    expect(fromRecord(null)).toEqual([]);
  });
});
