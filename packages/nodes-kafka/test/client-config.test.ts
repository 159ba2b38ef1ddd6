import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  kafkaClientConfig,
  parseBrokers,
  sendsPasswordInClear,
  type ClientSettings,
} from '../src/core/client-config.js';

const base: ClientSettings = {
  brokers: '127.0.0.1:9092',
  clientId: 'plantwire',
  tls: false,
  tlsVerify: true,
  caFile: '',
  sasl: 'none',
  connectionTimeoutMs: 3000,
};

describe('kafka client config', () => {
  it('takes brokers separated by commas or spaces', () => {
    expect(parseBrokers(' kafka-1:9092, kafka-2:9092 kafka-3:19092 ')).toEqual([
      'kafka-1:9092',
      'kafka-2:9092',
      'kafka-3:19092',
    ]);
    expect(parseBrokers('[::1]:9092')).toEqual(['[::1]:9092']);
  });

  it('refuses an empty list and an entry that is not host:port, naming it', () => {
    expect(() => parseBrokers(' ')).toThrow('at least one host:port');
    expect(() => parseBrokers('kafka-1:9092, kafka-2')).toThrow('(got "kafka-2")');
    expect(() => parseBrokers('kafka-1:99999')).toThrow('(got "kafka-1:99999")');
  });

  it('is plain without TLS and SASL', () => {
    const config = kafkaClientConfig(base);
    expect(config).toEqual({ clientId: 'plantwire', brokers: ['127.0.0.1:9092'], connectionTimeout: 3000 });
  });

  it('adds TLS with the CA file and verification setting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plantwire-kafka-ca-'));
    writeFileSync(join(dir, 'ca.pem'), 'PEM');
    const config = kafkaClientConfig({ ...base, tls: true, tlsVerify: false, caFile: join(dir, 'ca.pem') });
    expect(config.ssl).toEqual({ rejectUnauthorized: false, ca: ['PEM'] });
  });

  it('adds SASL with the credentials, and refuses SASL without them', () => {
    const config = kafkaClientConfig({
      ...base,
      sasl: 'scram-sha-512',
      username: 'edge',
      password: 's3cret',
    });
    expect(config.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'edge', password: 's3cret' });
    expect(() => kafkaClientConfig({ ...base, sasl: 'plain', username: 'edge' })).toThrow(
      'SASL plain needs a username and a password',
    );
  });

  it('tells when SASL PLAIN would send the password in clear (no TLS)', () => {
    expect(sendsPasswordInClear({ sasl: 'plain', tls: false })).toBe(true);
    expect(sendsPasswordInClear({ sasl: 'plain', tls: true })).toBe(false);
    expect(sendsPasswordInClear({ sasl: 'scram-sha-256', tls: false })).toBe(false);
    expect(sendsPasswordInClear({ sasl: 'none', tls: false })).toBe(false);
  });
});
