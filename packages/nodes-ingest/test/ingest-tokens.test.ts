import { describe, expect, it } from 'vitest';
import { telemetryPoint } from '@plantwire/testkit';
import { admit, admitEvents, parseTokens, RateLimiter, type GateOptions } from '../src/index.js';
import { readTokens } from '../src/core/ingest-tokens.js';

const at = Date.UTC(2026, 0, 5);
const bearer = (token: string) => `Bearer ${token}`;
const gate = (tokens: string): GateOptions => ({
  tokens: parseTokens(tokens),
  limiter: new RateLimiter(),
  maxPoints: 10_000,
  maxBytes: 10_000_000,
});
const point = (i: number, over: Record<string, unknown> = {}) =>
  telemetryPoint(at + i, { plant: 'plant-1', line: 'line-a', ...over });

describe('ingest tokens: tenant, scope, rate', () => {
  it('reads the old formats (token tenant, token=tenant) as before: the whole tenant, no rate', () => {
    const table = parseTokens('# demo\n\ntok-a acme\ntok-b=globex\r\n');
    expect([...table.values()]).toEqual([
      { tenant: 'acme', scope: [], line: 3 },
      { tenant: 'globex', scope: [], line: 4 },
    ]);
    expect(
      admit({ body: [point(0)], authorization: bearer('tok-b') }, { ...gate(''), tokens: table }).status,
    ).toBe(403);
  });

  it('keeps the "=" of a base64 token: the old token=tenant form is only a line without spaces', () => {
    const table = parseTokens('c2VjcmV0LXRva2Vu= acme\na=b globex plant-1');
    expect([...table.values()]).toEqual([
      { tenant: 'acme', scope: [], line: 1 },
      { tenant: 'globex', scope: ['plant-1'], line: 2 },
    ]);
    const options = { ...gate(''), tokens: table };
    expect(admit({ body: [point(0)], authorization: bearer('c2VjcmV0LXRva2Vu=') }, options).status).toBe(200);
    expect(admit({ body: [point(0)], authorization: bearer('c2VjcmV0LXRva2Vu') }, options).status).toBe(401);
  });

  it('reads scopes and rates, and keeps no token in clear', () => {
    const table = parseTokens('secret-1 acme plant-1/line-a,plant-2 rate=500');
    expect([...table.values()]).toEqual([
      { tenant: 'acme', scope: ['plant-1/line-a', 'plant-2'], rate: 500, line: 1 },
    ]);
    expect(JSON.stringify([...table.keys()])).not.toContain('secret-1');
  });

  it.each([
    ['lonely-token', 'tokens, line 1: a token needs a tenant'],
    [
      'tok acme plant-1/line-a/x',
      'tokens, line 1: the scope (field 3) is not a list of plants or plant/lines',
    ],
    ['tok acme rate=0', 'tokens, line 1: the rate (field 3) must be points per second > 0'],
    ['tok acme plant-1 rate=fast', 'tokens, line 1: the rate (field 4) must be points per second > 0'],
    ['tok a$me', 'tokens, line 1: the tenant (field 2) is not an identifier'],
    ['tok acme\ntok globex', 'tokens, line 2: the token is listed twice'],
  ])('refuses the line %j saying why, without the token', (text, message) => {
    expect(() => parseTokens(text)).toThrow(message);
    expect(() => parseTokens(text)).not.toThrow(/tok\b.*acme|lonely-token/);
  });

  it.each([
    [
      'a reversed line (tenant token)',
      '# tokens\n\nacme pW9s+Zk3r/Q2xvdWRUb2tlbg==',
      'line 3: the tenant (field 2)',
    ],
    ['two tokens on one line', 'tok-1 pW9s+Zk3r/Q2xvdWRUb2tlbg==', 'line 1: the tenant (field 2)'],
    ['a token in the scope', 'tok-1 acme pW9s+Zk3r/Q2xvdWRUb2tlbg==', 'line 1: the scope (field 3)'],
    ['a token after a scope', 'tok-1 acme plant-1,pW9s+Zk3r/Q2xvdWRUb2tlbg==', 'line 1: the scope (field 3)'],
  ])('%s: the message names the line and field, never the token', (_, text, where) => {
    const { errors } = readTokens(text);
    expect(errors).toEqual([expect.stringContaining(where)]);
    for (const message of errors) {
      expect(message).not.toContain('pW9s');
      expect(message).not.toContain('Q2xvdWRUb2tlbg');
      expect(message).not.toContain('tok-1');
    }
    expect(() => parseTokens(text)).toThrow(where);
  });

  it('a tokens file with a broken line keeps its other tokens', () => {
    const { table, errors } = readTokens('good acme\nbad\nalso-good globex');
    expect(table.size).toBe(2);
    expect(errors).toEqual([expect.stringMatching(/^tokens, line 2: a token needs a tenant/)]);
  });

  it("a line-scoped token: the other line's and the other tenant's points get 403 each, the rest is accepted", () => {
    const options = gate('tok-line acme plant-1/line-a');
    const body = [
      point(0),
      point(1, { line: 'line-b' }),
      point(2, { tenant: 'globex' }),
      point(3),
      point(4, { plant: 'plant-9' }),
    ];
    const result = admit({ body, authorization: bearer('tok-line') }, options);
    expect(result.status).toBe(200);
    expect(result.accepted.map((p) => p.ts)).toEqual([at, at + 3]);
    expect(result.rejected).toEqual([
      {
        index: 1,
        status: 403,
        reason: 'plant/line "plant-1/line-b" is outside the token\'s scope (plant-1/line-a)',
      },
      { index: 2, status: 403, reason: 'tenant "globex" is not the token\'s tenant' },
      {
        index: 4,
        status: 403,
        reason: 'plant/line "plant-9/line-a" is outside the token\'s scope (plant-1/line-a)',
      },
    ]);
    const onlyForeign = admit({ body: [body[1], body[4]], authorization: bearer('tok-line') }, options);
    expect(onlyForeign).toMatchObject({ status: 403, accepted: [] });
  });

  it('a plant-scoped token writes every line of its plant; events are scoped the same way', () => {
    const options = { ...gate('tok-plant acme plant-1'), plant: 'plant-1' };
    const result = admit(
      {
        body: [point(0, { line: 'line-z' }), point(1, { plant: 'plant-2' })],
        authorization: bearer('tok-plant'),
      },
      options,
    );
    expect(result.accepted).toHaveLength(1);
    expect(result.rejected).toMatchObject([{ index: 1, status: 403 }]);
    const event = {
      ts: at,
      type: 'state',
      line: 'line-01',
      machine: 'cnc-01',
      state: 'IDLE',
      previous: 'RUNNING',
    };
    const events = admitEvents(
      { body: [event, { ...event, plant: 'plant-2' }, { nonsense: 1 }], authorization: bearer('tok-plant') },
      options,
    );
    expect(events.accepted).toHaveLength(1);
    expect(events.rejected).toMatchObject([{ index: 1, status: 403 }, { index: 2 }]);
    expect(events.rejected[1]).not.toHaveProperty('status');
  });

  it('rate: a token over its points per second gets 429 with Retry-After; other tokens are not slowed', () => {
    const options = gate('slow acme rate=100\nfree acme');
    const batch = (n: number) => Array.from({ length: n }, (_, i) => point(i));
    const t0 = 1_000_000;
    expect(admit({ body: batch(100), authorization: bearer('slow'), now: t0 }, options).status).toBe(200);
    // The bucket may go into debt: a batch larger than the rate passes, and the next one waits for it.
    expect(admit({ body: batch(1), authorization: bearer('slow'), now: t0 + 500 }, options).status).toBe(200);
    expect(admit({ body: batch(250), authorization: bearer('slow'), now: t0 + 600 }, options).status).toBe(
      200,
    );
    const limited = admit({ body: batch(1), authorization: bearer('slow'), now: t0 + 700 }, options);
    expect(limited).toMatchObject({
      status: 429,
      retryAfterS: 2,
      accepted: [],
      message: "the token's rate of 100 points/s is used up: retry after 2 s",
    });
    expect(admit({ body: batch(5000), authorization: bearer('free'), now: t0 + 700 }, options).status).toBe(
      200,
    );
    expect(admit({ body: batch(1), authorization: bearer('slow'), now: t0 + 3000 }, options).status).toBe(
      200,
    );
  });
});
