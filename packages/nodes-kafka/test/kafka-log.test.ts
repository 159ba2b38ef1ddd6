import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogLevel } from '../src/core/kafka-log.js';

describe("kafkajs's log in Node-RED's", () => {
  it('keeps errors and warnings as warnings, the rest at debug', () => {
    expect(kafkaLogLevel(logLevel.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:9')).toBe('warn');
    expect(kafkaLogLevel(logLevel.WARN, 'Response Metadata(key: 3, version: 6)')).toBe('warn');
    expect(kafkaLogLevel(logLevel.INFO, 'Starting')).toBe('debug');
    expect(kafkaLogLevel(logLevel.DEBUG, 'Request Produce')).toBe('debug');
  });

  it('logs the idempotent producer\'s "limiting retries" warning, harmless here, at debug', () => {
    expect(
      kafkaLogLevel(
        logLevel.WARN,
        'Limiting retries for the idempotent producer may invalidate EoS guarantees',
      ),
    ).toBe('debug');
  });
});
