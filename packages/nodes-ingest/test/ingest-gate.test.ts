import { describe, expect, it } from 'vitest';
import { telemetryPoint } from '@plantwire/testkit';
import {
  admit,
  admitEvents,
  MAX_BODY_DEPTH,
  nestedDeeperThan,
  parseTokens,
  RateLimiter,
  type GateOptions,
} from '../src/index.js';

const options: GateOptions = {
  tokens: parseTokens('tok-acme acme\ntok-globex=globex'),
  maxPoints: 100,
  maxBytes: 100_000,
};
const at = Date.UTC(2026, 0, 5);
const bearer = (token: string) => `Bearer ${token}`;

describe('admit: the ingest gate', () => {
  it('accepts a tenant its own points', () => {
    const body = [telemetryPoint(at), telemetryPoint(at + 1)];
    expect(admit({ body, authorization: bearer('tok-acme') }, options)).toMatchObject({
      status: 200,
      tenant: 'acme',
      rejected: [],
    });
  });

  it.each([
    [undefined, 'a bearer token is required: Authorization: Bearer <token>'],
    ['Basic dXNlcjpwdw==', 'a bearer token is required: Authorization: Bearer <token>'],
    ['Bearer nope', 'unknown or revoked token'],
    ['Bearer __proto__', 'unknown or revoked token'],
  ])('refuses authorization %j with 401', (authorization, message) => {
    expect(admit({ body: [telemetryPoint(at)], authorization }, options)).toMatchObject({
      status: 401,
      message,
      accepted: [],
    });
  });

  it('keeps tenants apart: token A cannot write tenant B, and the rest of the batch goes on', () => {
    const body = [telemetryPoint(at), telemetryPoint(at + 1, { tenant: 'globex' }), telemetryPoint(at + 2)];
    const result = admit({ body, authorization: bearer('tok-acme') }, options);
    expect(result.status).toBe(200);
    expect(result.accepted).toHaveLength(2);
    expect(result.rejected).toEqual([
      { index: 1, reason: 'tenant "globex" is not the token\'s tenant', status: 403 },
    ]);
    expect(admit({ body: [body[1]], authorization: bearer('tok-acme') }, options).status).toBe(403);
  });

  it('answers 400 with every reason when nothing is valid, positions kept', () => {
    const body = [{ ...telemetryPoint(at), value: 'x' }, telemetryPoint(at, { tenant: 'globex' }), 5];
    const result = admit({ body, authorization: bearer('tok-acme') }, options);
    expect(result.status).toBe(400);
    expect(result.rejected.map((r) => r.index)).toEqual([0, 1, 2]);
  });

  it('enforces the body limits with 413', () => {
    const many = Array.from({ length: 101 }, (_, i) => telemetryPoint(at + i));
    expect(admit({ body: many, authorization: bearer('tok-acme') }, options)).toMatchObject({ status: 413 });
    expect(admit({ body: '[]', bytes: 200_000, authorization: bearer('tok-acme') }, options)).toMatchObject({
      status: 413,
    });
  });

  it('counts a metrics map as one point per metric, for the size limit and the rate', () => {
    const metrics = (n: number) => ({
      ts: at,
      metrics: Object.fromEntries(Array.from({ length: n }, (_, i) => [`m${i}`, i])),
    });
    const topic = 'factories/acme/devices/press-3/telemetry';
    expect(admit({ body: metrics(101), topic, authorization: bearer('tok-acme') }, options)).toMatchObject({
      status: 413,
      message: '101 points in one request; at most 100',
    });
    const limiter = new RateLimiter();
    const rated = {
      ...options,
      tokens: parseTokens('tok-slow acme rate=10'),
      limiter,
      plant: 'p1',
      line: 'l1',
    };
    // 20 metrics at 10 points/s: the first map passes into debt, the next one waits (counted as one, it would not).
    const slow = { body: metrics(20), topic, authorization: bearer('tok-slow'), now: 1_000_000 };
    expect(admit(slow, rated).status).toBe(200);
    expect(admit({ ...slow, now: 1_000_100 }, rated)).toMatchObject({ status: 429 });
  });

  it('parses JSON text bodies and refuses broken JSON with 400', () => {
    const text = JSON.stringify([telemetryPoint(at)]);
    expect(admit({ body: text, authorization: bearer('tok-globex') }, options).status).toBe(403);
    expect(admit({ body: '{oops', authorization: bearer('tok-acme') }, options)).toMatchObject({
      status: 400,
      rejected: [{ index: 0, reason: 'the body is not JSON' }],
    });
  });

  it('normalises the metrics shape from an MQTT topic, with no tokens in MQTT mode', () => {
    const result = admit(
      {
        body: { ts: at, metrics: { temperature: 72.3, rpm: 'fast' } },
        topic: 'factories/acme/devices/press-3/telemetry',
      },
      { maxPoints: 100, maxBytes: 100_000, plant: 'plant-1', line: 'line-2' },
    );
    expect(result.status).toBe(200);
    expect(result.accepted[0]).toMatchObject({
      tenant: 'acme',
      machine: 'press-3',
      metric: 'temperature',
      value: 72.3,
    });
    expect(result.rejected).toEqual([
      { index: 1, reason: 'metrics.rpm: value must be a finite number (got "fast")' },
    ]);
  });
});

describe('admit over MQTT: the topic, which the broker grants, says whose points they are', () => {
  const mqtt: GateOptions = { maxPoints: 100, maxBytes: 100_000, plant: 'plant-1', line: 'line-2' };

  it("refuses a device's metrics naming another tenant or machine than its topic", () => {
    const topic = 'factories/acme/devices/press-3/telemetry';
    const result = admit(
      { body: { ts: at, tenant: 'globex', machine: 'other', metrics: { t: 1 } }, topic },
      mqtt,
    );
    expect(result).toMatchObject({
      status: 403,
      accepted: [],
      rejected: [{ index: 0, reason: 'tenant "globex" is not its topic\'s "acme"', status: 403 }],
    });
  });

  it('keeps the points of the series a v1 topic names, and refuses the others', () => {
    const own = telemetryPoint(at);
    const topic = `v1/${own.tenant}/${own.plant}/${own.line}/${own.machine}/${own.metric}`;
    const other = { ...telemetryPoint(at + 1), machine: 'press-9' };
    const result = admit({ body: [own, other], topic }, mqtt);
    expect(result.status).toBe(200);
    expect(result.accepted).toEqual([own]);
    expect(result.rejected).toEqual([
      { index: 1, reason: `machine "press-9" is not its topic's "${own.machine}"`, status: 403 },
    ]);
    // A topic of neither shape names no series: nothing to compare.
    expect(admit({ body: [own, other], topic: 'plant/raw' }, mqtt).accepted).toHaveLength(2);
  });
});

describe('admitEvents: the same gate for plant events', () => {
  const state = (over: Record<string, unknown> = {}) => ({
    ts: at,
    type: 'state',
    line: 'line-01',
    machine: 'cnc-01',
    state: 'IDLE',
    previous: 'RUNNING',
    ...over,
  });
  const eventOptions = { ...options, plant: 'plant-1' };

  it("takes the token's tenant and the node's plant as defaults", () => {
    const result = admitEvents(
      { body: JSON.stringify([state()]), authorization: bearer('tok-acme') },
      eventOptions,
    );
    expect(result).toMatchObject({ status: 200, tenant: 'acme', rejected: [] });
    expect(result.accepted[0]).toMatchObject({
      tenant: 'acme',
      plant: 'plant-1',
      kind: 'state',
      name: 'IDLE',
    });
  });

  it('answers 401, 413, 400 and 403 like points', () => {
    expect(admitEvents({ body: [state()] }, eventOptions)).toMatchObject({ status: 401 });
    expect(
      admitEvents(
        { body: [state(), state()], authorization: bearer('tok-acme') },
        { ...eventOptions, maxPoints: 1 },
      ),
    ).toMatchObject({ status: 413, message: '2 events in one request; at most 1' });
    expect(admitEvents({ body: '{', authorization: bearer('tok-acme') }, eventOptions)).toMatchObject({
      status: 400,
      rejected: [{ index: 0, reason: 'the body is not JSON' }],
    });
    expect(
      admitEvents({ body: [{ nonsense: 1 }], authorization: bearer('tok-acme') }, eventOptions).status,
    ).toBe(400);
    const theirs = admitEvents(
      { body: [state({ tenant: 'globex' })], authorization: bearer('tok-acme') },
      eventOptions,
    );
    expect(theirs).toMatchObject({
      status: 403,
      rejected: [{ index: 0, reason: 'tenant "globex" is not the token\'s tenant', status: 403 }],
    });
  });

  it('a mixed batch: the valid events go on, each refused one is listed', () => {
    const result = admitEvents(
      {
        body: [state({ tenant: 'globex' }), state(), state({ ts: 'soon' })],
        authorization: bearer('tok-acme'),
      },
      eventOptions,
    );
    expect(result.status).toBe(200);
    expect(result.accepted).toHaveLength(1);
    expect(result.rejected.map((r) => r.index)).toEqual([0, 2]);
  });
});

describe('the gate and bodies nested too deep', () => {
  it('refuses a body nested deeper than MAX_BODY_DEPTH with 400, and says not to pass it on', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];
    const result = admit({ body: [telemetryPoint(at), deep], authorization: bearer('tok-acme') }, options);
    expect(result).toMatchObject({
      status: 400,
      dropBody: true,
      rejected: [{ index: 0, reason: `the body is nested deeper than ${MAX_BODY_DEPTH} levels` }],
    });
    expect(nestedDeeperThan({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(nestedDeeperThan({ a: [{ b: [] }] }, 3)).toBe(true);
    // The flat-array shortcut: flat items are 2 deep; one nested item sends it to the full walk.
    expect(nestedDeeperThan([{ a: 1 }, 2, null], 2)).toBe(false);
    expect(nestedDeeperThan([{ a: 1 }, { b: { c: {} } }], 2)).toBe(true);
    expect(nestedDeeperThan([[]], 1)).toBe(true);
  });
});
