import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  coreNode,
  nodeRedTestHelper,
  sleep,
  telemetryPoint,
  until,
  waitFor,
} from '@plantwire/testkit';

const require = createRequire(import.meta.url);
const validateNode = require('../dist/nodes/telemetry-validate/telemetry-validate.js');
const catchNode = coreNode('common/25-catch');
const helper = nodeRedTestHelper();
const at = Date.UTC(2026, 0, 5);

const flow = (config: Record<string, unknown>) => [
  {
    id: 'gate',
    type: 'telemetry-validate',
    maxPoints: '100',
    maxKB: '64',
    wires: [['accepted'], ['refused']],
    ...config,
  },
  { id: 'accepted', type: 'helper' },
  { id: 'refused', type: 'helper' },
  { id: 'catcher', type: 'catch', scope: ['gate'], uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper' },
];

describe('telemetry-validate inside Node-RED', () => {
  beforeAll(() => helper.startServer());
  afterEach(() => helper.unload());
  afterAll(() => helper.stopServer());

  it('MQTT mode: valid points go on, refused ones come out on output 2 with reasons, nothing silently dropped', async () => {
    await helper.load([validateNode, catchNode], flow({ mode: 'mqtt', plant: 'plant-1', line: 'line-1' }));
    const accepted = collect(helper, 'accepted');
    const refused = collect(helper, 'refused');
    const gate = helper.getNode('gate')!;
    gate.receive({
      topic: 'v1/acme/plant-1/line-1/cnc-01/temperature',
      payload: [telemetryPoint(at), { ...telemetryPoint(at), q: 500 }],
    });
    gate.receive({
      topic: 'factories/acme/devices/press-3/telemetry',
      payload: JSON.stringify({ ts: at, metrics: { temperature: 70 } }),
    });
    await until('both answers', () => accepted.length === 2 && refused.length === 1);
    expect(accepted[0].payload).toHaveLength(1);
    expect(refused[0].payload).toMatchObject({ accepted: 1 }); // the report says what went on, too
    expect(refused[0].payload.rejected).toEqual([
      { index: 1, reason: 'q must be an integer quality from 0 to 100 (got 500)' },
    ]);
    expect(accepted[1].payload[0]).toMatchObject({
      tenant: 'acme',
      machine: 'press-3',
      plant: 'plant-1',
      metric: 'temperature',
    });
  });

  it('fails a wholly refused message for Catch, after the answer on output 2', async () => {
    await helper.load([validateNode, catchNode], flow({ mode: 'mqtt' }));
    const refused = collect(helper, 'refused');
    const caught = collect(helper, 'caught');
    for (const payload of [null, 42, 'not json', [], { metrics: 'x' }])
      helper.getNode('gate')!.receive({ payload });
    await until(
      'four refusals (an empty array is no refusal)',
      () => refused.length === 4 && caught.length === 4,
    );
    expect(refused.every((m) => m.statusCode === 400)).toBe(true);
    expect(caught[0].error.message).toMatch(
      /^Error: telemetry-validate: 400 #0 a point must be an object \(got null\)/,
    );
  });

  it('deploys in http mode without tokens, warns, and answers every request 401 saying why', async () => {
    await helper.load([validateNode, catchNode], flow({ mode: 'http' }));
    const gate = helper.getNode('gate')!;
    const caught = collect(helper, 'caught');
    const refused = collect(helper, 'refused');
    gate.receive({ payload: [telemetryPoint(at)], req: { headers: { authorization: 'Bearer anything' } } });
    await until('the refusal', () => caught.length === 1 && refused.length === 1);
    expect(refused[0].statusCode).toBe(401);
    expect(caught[0].error.message).toMatch(/401 no tokens are configured/);
    expect((gate as any).warn.calledWithMatch(/no tokens configured/)).toBe(true);
  });

  it('events mode: token checks as in http mode, accepted events out with msg.ingest and statusCode 200', async () => {
    await helper.load([validateNode, catchNode], flow({ mode: 'events', plant: 'plant-1' }), {
      gate: { tokens: 'tok-acme acme' },
    });
    const accepted = collect(helper, 'accepted');
    const refused = collect(helper, 'refused');
    const caught = collect(helper, 'caught');
    const state = {
      ts: at,
      type: 'state',
      line: 'line-01',
      machine: 'cnc-01',
      state: 'IDLE',
      previous: 'RUNNING',
    };
    const headers = { authorization: 'Bearer tok-acme' };
    helper
      .getNode('gate')!
      .receive({ payload: JSON.stringify([state, { bad: 1 }]), req: { headers }, res: {} });
    helper.getNode('gate')!.receive({ payload: [{ ...state, tenant: 'globex' }], req: { headers }, res: {} });
    helper.getNode('gate')!.receive({ payload: [state], req: { headers: {} }, res: {} });
    await until(
      'one accepted, two refused',
      () => accepted.length === 1 && refused.length === 2 && caught.length === 2,
    );
    expect(accepted[0].statusCode).toBe(200);
    expect(accepted[0].payload).toEqual([
      expect.objectContaining({
        tenant: 'acme',
        plant: 'plant-1',
        kind: 'state',
        name: 'IDLE',
        machine: 'cnc-01',
      }),
    ]);
    expect(accepted[0].ingest).toMatchObject({
      status: 200,
      tenant: 'acme',
      accepted: 1,
      rejected: [{ index: 1 }],
    });
    expect(refused.map((m) => m.statusCode)).toEqual([403, 401]);
    expect(caught[0].error.message).toMatch(/403 #0 tenant "globex" is not the token's tenant/);
  });
});

describe('telemetry-validate tokens: scope, revocation without a redeploy, rate', () => {
  beforeAll(() => helper.startServer());
  afterEach(() => helper.unload());
  afterAll(() => helper.stopServer());
  const dir = mkdtempSync(join(tmpdir(), 'plantwire-tokens-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const request = (token: string, payload: unknown) => ({
    payload,
    req: { headers: { authorization: `Bearer ${token}` } },
    res: {},
  });

  it('a token in the tokens file is revoked by deleting its line: 401 within seconds, no redeploy', async () => {
    const file = join(dir, 'revoke.tokens');
    writeFileSync(file, '# device tokens\ntok-file acme plant-1\ntok-other acme\n');
    await helper.load([validateNode, catchNode], flow({ mode: 'http', tokensFile: file }), {
      gate: { tokens: 'tok-cred acme' },
    });
    const gate = helper.getNode('gate')!;
    const accepted = collect(helper, 'accepted');
    const refused = collect(helper, 'refused');
    gate.receive(request('tok-file', [telemetryPoint(at, { plant: 'plant-1' })]));
    gate.receive(request('tok-cred', [telemetryPoint(at + 1)]));
    await until('both accepted', () => accepted.length === 2);

    writeFileSync(file, '# device tokens\ntok-other acme\n');
    await waitFor(
      'the revoked token refused',
      async () => {
        gate.receive(request('tok-file', [telemetryPoint(at + 2, { plant: 'plant-1' })]));
        return refused.some((m) => m.statusCode === 401) || undefined;
      },
      10_000,
      200,
    );
    const revoked = refused.find((m) => m.statusCode === 401)!;
    expect(revoked.payload.error).toBe('unknown or revoked token');
    // The other tokens of the file and of the credentials still work.
    const before = accepted.length;
    gate.receive(request('tok-other', [telemetryPoint(at + 3)]));
    gate.receive(request('tok-cred', [telemetryPoint(at + 4)]));
    await until('still accepted', () => accepted.length === before + 2);
  });

  it('a broken tokens file line is skipped and reported without its token; a missing file grants nothing', async () => {
    const file = join(dir, 'broken.tokens');
    writeFileSync(file, 'tok-good acme\nsecret-without-tenant\n');
    await helper.load([validateNode, catchNode], flow({ mode: 'http', tokensFile: file }));
    const gate = helper.getNode('gate')!;
    const status = (gate as any).status;
    expect(status.lastCall.args[0]).toMatchObject({ fill: 'red' });
    expect(status.lastCall.args[0].text).toMatch(/tokens, line 2: a token needs a tenant/);
    expect(JSON.stringify(status.args)).not.toContain('secret-without-tenant');
    expect(JSON.stringify((gate as any).warn.args)).not.toContain('secret-without-tenant');
    const accepted = collect(helper, 'accepted');
    gate.receive(request('tok-good', [telemetryPoint(at)]));
    await until('the good line still works', () => accepted.length === 1);
    // An accepted request does not paint over the broken line.
    await sleep(700);
    expect(status.lastCall.args[0]).toMatchObject({ fill: 'red' });

    rmSync(file);
    const refused = collect(helper, 'refused');
    await waitFor(
      'every token of the deleted file refused',
      async () => {
        gate.receive(request('tok-good', [telemetryPoint(at)]));
        return refused.some((m) => m.statusCode === 401) || undefined;
      },
      10_000,
      200,
    );
    expect((gate as any).warn.calledWithMatch(/tokens file .*broken.tokens: cannot be read \(ENOENT\)/)).toBe(
      true,
    );
  });

  it('over its rate a token gets 429 with a Retry-After header, and no error for Catch', async () => {
    await helper.load([validateNode, catchNode], flow({ mode: 'http' }), {
      gate: { tokens: 'tok-slow acme rate=10' },
    });
    const gate = helper.getNode('gate')!;
    const accepted = collect(helper, 'accepted');
    const refused = collect(helper, 'refused');
    const caught = collect(helper, 'caught');
    const batch = Array.from({ length: 30 }, (_, i) => telemetryPoint(at + i));
    gate.receive(request('tok-slow', batch));
    gate.receive(request('tok-slow', batch));
    await until('one accepted, one limited', () => accepted.length === 1 && refused.length === 1);
    expect(refused[0]).toMatchObject({
      statusCode: 429,
      headers: { 'Retry-After': '2' },
      payload: { accepted: 0, error: "the token's rate of 10 points/s is used up: retry after 2 s" },
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(caught).toHaveLength(0);
  });

  it('a line-scoped token: the mixed batch goes on with the in-scope points, the others listed with 403', async () => {
    await helper.load([validateNode, catchNode], flow({ mode: 'http' }), {
      gate: { tokens: 'tok-line acme plant-1/line-1' },
    });
    const accepted = collect(helper, 'accepted');
    const mine = telemetryPoint(at, { plant: 'plant-1', line: 'line-1' });
    const theirs = telemetryPoint(at + 1, { plant: 'plant-1', line: 'line-2' });
    helper.getNode('gate')!.receive(request('tok-line', [mine, theirs]));
    await until('the batch', () => accepted.length === 1);
    expect(accepted[0].payload).toEqual([mine]);
    expect(accepted[0].ingest.rejected).toEqual([
      {
        index: 1,
        status: 403,
        reason: 'plant/line "plant-1/line-2" is outside the token\'s scope (plant-1/line-1)',
      },
    ]);
  });
});
