import { describe, expect, it } from 'vitest';
import {
  buildTopic,
  commandTopic,
  createUuidV7Generator,
  isUuid,
  nameBasedId,
  parseDeviceTopic,
  parseTopic,
  TelemetryError,
  uuidv7,
  uuidV7Time,
} from '@plantwire/telemetry';

describe('UUIDv7', () => {
  it('is a version 7, variant 10 UUID carrying the current time', () => {
    const before = Date.now();
    const id = uuidv7();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidV7Time(id)).toBeGreaterThanOrEqual(before);
    expect(uuidV7Time(id)).toBeLessThanOrEqual(Date.now());
  });

  it('is strictly monotonic within one millisecond, past the 12-bit counter', () => {
    const next = createUuidV7Generator(() => 1_767_225_600_000);
    const ids = Array.from({ length: 10_000 }, () => next());
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // 10,000 ids cannot fit one millisecond's counter: the embedded time moves on rather than break the order.
    expect(uuidV7Time(ids.at(-1)!)).toBeGreaterThan(1_767_225_600_000);
    expect(uuidV7Time(ids.at(-1)!)).toBeLessThan(1_767_225_600_010);
  });

  it('stays monotonic through a burst that runs the embedded time more than a second ahead of the clock', () => {
    let calls = 0;
    const start = 1_767_225_600_000;
    // 40,000 ids every millisecond: the counter holds 2,048-4,096 of them, so the ids' time runs ahead.
    const next = createUuidV7Generator(() => start + Math.floor(calls++ / 40_000));
    let previous = next();
    for (let i = 0; i < 5_000_000; i++) {
      const id = next();
      if (!(id > previous)) expect.unreachable(`id ${i}: ${id} after ${previous}`);
      previous = id;
    }
    expect(uuidV7Time(previous) - (start + Math.floor(calls / 40_000))).toBeGreaterThan(1000);
  });

  it('stays monotonic when the clock steps back a little', () => {
    let now = 1_767_225_600_500;
    const next = createUuidV7Generator(() => now);
    const a = next();
    now -= 20;
    const b = next();
    expect(b > a).toBe(true);
  });

  it('is reproducible from a seeded random source', () => {
    const seeded = () => {
      let n = 7;
      return createUuidV7Generator(
        () => 1_767_225_600_000,
        (bytes) => bytes.forEach((_, i) => (bytes[i] = n = (n * 31 + 17) & 0xff)),
      );
    };
    const a = seeded();
    const b = seeded();
    const first = Array.from({ length: 2000 }, () => a());
    expect(Array.from({ length: 2000 }, () => b())).toEqual(first);
    expect(new Set(first).size).toBe(2000);
  });

  it('stamps event time for a backfill', () => {
    const next = createUuidV7Generator();
    expect(uuidV7Time(next(1_600_000_000_000))).toBe(1_600_000_000_000);
  });

  it('name-based ids are stable UUIDv5s', () => {
    const a = nameBasedId('acme/p/l/m/temperature/1767225600000');
    expect(a).toBe(nameBasedId('acme/p/l/m/temperature/1767225600000'));
    expect(a).not.toBe(nameBasedId('acme/p/l/m/temperature/1767225600001'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isUuid(a)).toBe(true);
    expect(isUuid('0190f1c2-7a3b-7c4d-8e5f-00112233445')).toBe(false);
  });
});

describe('topics', () => {
  const key = { tenant: 'acme', plant: 'plant-1', line: 'line_01', machine: 'cnc.7', metric: 'temperature' };

  it('round-trips a series key', () => {
    const topic = buildTopic(key);
    expect(topic).toBe('v1/acme/plant-1/line_01/cnc.7/temperature');
    expect(parseTopic(topic)).toEqual(key);
  });

  it('refuses parts that would break the topic tree', () => {
    expect(() => buildTopic({ ...key, machine: 'a/b' })).toThrow(/machine must be 1 to 64 characters/);
    expect(() => buildTopic({ ...key, metric: '#' })).toThrow(TelemetryError);
    expect(() => buildTopic({ ...key, line: '+' })).toThrow(/got "\+"/);
  });

  it.each([
    ['v2/acme/p/l/m/t', /must be v1\//],
    ['v1/acme/p/l/m', /must be v1\//],
    ['v1/acme/p/l/m/t/extra', /must be v1\//],
    ['v1/acme/p//m/t', /line must be/],
  ])('parseTopic refuses %s', (topic, reason) => {
    expect(() => parseTopic(topic)).toThrow(reason);
  });

  it('builds the command topic and parses device topics', () => {
    expect(commandTopic('acme', 'plant-1')).toBe('v1/acme/plant-1/cmd');
    expect(parseDeviceTopic('factories/acme/devices/press-3/telemetry')).toEqual({
      tenant: 'acme',
      machine: 'press-3',
    });
    expect(() => parseDeviceTopic('factories/acme/device/press-3/telemetry')).toThrow(
      /factories\/\{tenant\}/,
    );
  });
});
