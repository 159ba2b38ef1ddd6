import { describe, expect, it } from 'vitest';
import type { Point } from '@plantwire/telemetry';
import { classify, senderConfig, TelemetryWriter } from '../src/index.js';

// Error paths only: a writer whose sending is replaced, to drive the bisection and retries exactly.
class ScriptedWriter extends TelemetryWriter {
  readonly requests: number[][] = [];
  constructor(
    private readonly refuse: (points: Point[]) => Error | undefined,
    options = {},
  ) {
    super({ url: 'http://127.0.0.1:1' }, { flushIntervalMs: 1, retryBaseMs: 1, retryMaxMs: 2, ...options });
  }
  protected override async send(points: Point[]): Promise<void> {
    this.requests.push(points.map((p) => p.value));
    const error = this.refuse(points);
    if (error) throw error;
  }
}

const point = (value: number): Point => ({
  ts: 1_767_571_200_000 + value,
  id: `01944a1c-7a3b-7c4d-8e5f-${String(value).padStart(12, '0')}`,
  tenant: 'acme',
  plant: 'p',
  line: 'l',
  machine: 'm',
  metric: 't',
  value,
  unit: '',
  q: 100,
});

const refusal = new Error(
  'HTTP request failed, statusCode=400, error={"code":"invalid","message":"error in line 1: cast error"}',
);

describe('TelemetryWriter error paths', () => {
  it('bisects a refused batch: writes the good rows, reports each bad one with QuestDB reason', async () => {
    const writer = new ScriptedWriter((points) =>
      points.some((p) => p.value === 13 || p.value === 40) ? refusal : undefined,
    );
    const result = await writer.write(Array.from({ length: 64 }, (_, i) => point(i)));
    expect(result.written).toBe(62);
    expect(result.rejected.map((r) => (r.point as Point).value)).toEqual([13, 40]);
    expect(result.rejected[0]!.reason).toBe(
      'QuestDB refused the row (HTTP 400): error in line 1: cast error',
    );
    // log2(64) levels for each bad row, not 64 single-row requests.
    expect(writer.requests.length).toBeLessThan(30);
  });

  it('retries an unavailable QuestDB, then gives up with the error', async () => {
    let calls = 0;
    const writer = new ScriptedWriter(() => (++calls < 3 ? new Error('connect ECONNREFUSED') : undefined), {
      maxAttempts: 5,
    });
    expect(await writer.write([point(1)])).toEqual({ written: 1, rejected: [] });
    const never = new ScriptedWriter(() => new Error('HTTP request timeout'), { maxAttempts: 3 });
    await expect(never.write([point(1)])).rejects.toMatchObject({ kind: 'unavailable' });
    expect(never.requests).toHaveLength(3);
  });

  it('stops at once on refused credentials', async () => {
    const writer = new ScriptedWriter(
      () => new Error('HTTP request failed, statusCode=401, error=unauthorized'),
    );
    await expect(writer.write([point(1)])).rejects.toMatchObject({
      kind: 'auth',
      message: 'QuestDB refused the credentials (HTTP 401)',
    });
    expect(writer.requests).toHaveLength(1);
  });

  it('classifies failures and quotes secrets safely in the sender configuration', () => {
    expect(classify(new Error('statusCode=503')).kind).toBe('unavailable');
    expect(classify(new Error('statusCode=429')).kind).toBe('unavailable');
    expect(classify(new Error('statusCode=404')).kind).toBe('bad-data');
    expect(senderConfig({ url: 'https://db.example:9000', username: 'u', password: 'p;w' })).toBe(
      'https::addr=db.example:9000;auto_flush=off;protocol_version=1;request_timeout=10000;username=u;password=p;;w;',
    );
    expect(
      senderConfig({ url: 'https://db.example', token: 't', caFile: '/etc/ca.pem', tlsVerify: true }),
    ).toBe(
      'https::addr=db.example:443;auto_flush=off;protocol_version=1;request_timeout=10000;token=t;tls_ca=/etc/ca.pem;',
    );
  });
});
