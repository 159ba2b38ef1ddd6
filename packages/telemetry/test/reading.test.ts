import { describe, expect, it } from 'vitest';
import { formatReading } from '@plantwire/telemetry';

describe('formatReading', () => {
  it('shows a reading with at most 3 decimals, whole numbers as they are', () => {
    expect(formatReading(44.002920883055126)).toBe('44.003');
    expect(formatReading(7640.200699489424)).toBe('7640.201');
    expect(formatReading(10)).toBe('10');
    expect(formatReading(-0.0004)).toBe('0');
    expect(formatReading(Number.NaN)).toBe('NaN');
    expect(formatReading(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });
});
