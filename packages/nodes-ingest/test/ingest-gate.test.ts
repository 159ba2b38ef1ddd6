import { describe, expect, it } from 'vitest';
import { telemetryPoint } from '@plantwire/testkit';
import { admit, type GateOptions } from '../src/index.js';

const options: GateOptions = {
  tokens: { 'tok-acme': 'acme', 'tok-globex': 'globex' },
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
    ['Bearer nope', 'unknown token'],
    ['Bearer __proto__', 'unknown token'],
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
    expect(result.rejected).toEqual([{ index: 1, reason: 'tenant "globex" is not the token\'s tenant' }]);
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
