import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { collect, coreNode, nodeRedTestHelper, sleep, until } from '@plantwire/testkit';

// The runtime tests load the built node, as Node-RED does (npm test builds first).
const require = createRequire(import.meta.url);
const storeForward = require('../dist/nodes/store-forward/store-forward.js');
const catchNode = coreNode('common/25-catch');
// better-sqlite3's statements, shared with the node: a test makes one of their methods fail as a disk would.
const Database = require('better-sqlite3');
const Statement = new Database(':memory:').prepare('SELECT 1').constructor;
const ioError = () => Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
const helper = nodeRedTestHelper();
let directory: string;

function flow(config: Record<string, unknown> = {}) {
  return [
    {
      id: 'sf',
      type: 'store-forward',
      storeName: 'test',
      directory,
      maxWaitMs: '20',
      backoffBaseS: '0.05',
      backoffMaxS: '0.2',
      ackTimeoutS: '30',
      statsIntervalS: '0',
      minFreeMB: '0',
      wires: [['batches'], ['stats']],
      ...config,
    },
    { id: 'batches', type: 'helper' },
    { id: 'stats', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: ['sf'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

const points = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ n: from + i }));
const lastStats = (stats: any[]) => stats.at(-1).payload;
/** Whether the node showed a red status whose text matches. */
const redStatus = (node: any, text: RegExp) =>
  node.status
    .getCalls()
    .some(
      (call: any) => call.thisValue === node && call.args[0]?.fill === 'red' && text.test(call.args[0].text),
    );

describe('store-forward inside Node-RED', () => {
  beforeAll(() => helper.startServer());
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'plantwire-sf-'));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await helper.unload();
    rmSync(directory, { recursive: true, force: true });
  });
  afterAll(() => helper.stopServer());

  it('commits a turn of messages together, then forwards batches carrying msg.sf, and deletes them on 2xx', async () => {
    await helper.load([storeForward, catchNode], flow({ batchRows: '100' }));
    const batches = collect(helper, 'batches');
    const stats = collect(helper, 'stats');
    const sf = helper.getNode('sf')!;
    const done: number[] = [];
    sf.on('call:done' as never, (() => done.push(1)) as never);
    for (let i = 0; i < 5; i++) sf.receive({ payload: points(i * 50, 50) });
    await until('batches', () => batches.length >= 1);
    expect(batches[0].payload.map((p: any) => p.n)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(batches[0].sf).toEqual({
      store: 'test',
      batch: '1-1',
      count: 100,
      attempt: 1,
      historical: false,
    });
    sf.receive({ ...batches[0], statusCode: 200 });
    await until('the next batch', () => batches.length >= 2);
    sf.receive({ ...batches[1], statusCode: 204 });
    await until('the last batch', () => batches.length >= 3);
    sf.receive({ ...batches[2], payload: 'ok' }); // no status, no error: delivered (as questdb-write passes it on)
    await until('an empty queue', () => stats.length > 0 && lastStats(stats).rows === 0);
    expect(lastStats(stats)).toMatchObject({ acked: 250, rows: 0, store: 'test' });
    expect(batches[2].payload).toHaveLength(50);
  });

  it('hands a batch on as the JSON text it is stored as when asked to, retries included', async () => {
    await helper.load([storeForward, catchNode], flow({ batchRows: '100', batchPayload: 'json' }));
    const batches = collect(helper, 'batches');
    const sf = helper.getNode('sf')!;
    // Two turns, two stored chunks: a batch joins them without parsing either.
    sf.receive({ payload: points(0, 30) });
    await sleep(1);
    sf.receive({ payload: points(30, 30) });
    await until('a batch', () => batches.length === 1);
    const { payload, sf: about } = batches[0];
    expect(typeof payload).toBe('string');
    expect(JSON.parse(payload)).toEqual(points(0, about.count));
    sf.receive({ ...batches[0], statusCode: 503 });
    await until('a retry', () => batches.some((m) => m.sf.attempt === 2));
    expect(batches.find((m) => m.sf.attempt === 2)!.payload).toBe(payload);
  });

  it('retries 5xx and network errors with the same batch id and a growing attempt', async () => {
    await helper.load([storeForward, catchNode], flow());
    const batches = collect(helper, 'batches');
    const sf = helper.getNode('sf')!;
    sf.receive({ payload: points(0, 3) });
    await until('a batch', () => batches.length === 1);
    sf.receive({ ...batches[0], statusCode: 503 });
    await until('a retry', () => batches.length === 2);
    sf.receive({ ...batches[1], error: { message: 'connect ECONNREFUSED 127.0.0.1:9' } });
    await until('another retry', () => batches.length === 3);
    // What the http request node sends on a network error: the error code in msg.statusCode.
    sf.receive({ ...batches[2], statusCode: 'ECONNREFUSED', payload: 'Error: connect ECONNREFUSED' });
    await until('a third retry', () => batches.length === 4);
    expect(batches.map((m) => [m.sf.batch, m.sf.attempt])).toEqual([
      ['1-1', 1],
      ['1-1', 2],
      ['1-1', 3],
      ['1-1', 4],
    ]);
    expect(batches[2].payload).toEqual(points(0, 3));
  });

  it.each([429, 503])('waits for Retry-After on %i', async (statusCode) => {
    await helper.load([storeForward, catchNode], flow());
    const batches = collect(helper, 'batches');
    const sf = helper.getNode('sf')!;
    sf.receive({ payload: points(0, 1) });
    await until('a batch', () => batches.length === 1);
    const refusedAt = Date.now();
    sf.receive({ ...batches[0], statusCode, headers: { 'retry-after': '1' } });
    await until('the retry', () => batches.length === 2, 5000);
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(950);
  });

  it('quarantines a batch refused with 4xx, goes on, and sends it again on quarantine-retry', async () => {
    await helper.load([storeForward, catchNode], flow({ batchRows: '2' }));
    const batches = collect(helper, 'batches');
    const stats = collect(helper, 'stats');
    const sf = helper.getNode('sf')!;
    sf.receive({ payload: points(0, 4) });
    await until('a batch', () => batches.length === 1);
    sf.receive({ ...batches[0], statusCode: 400, payload: 'bad point at line 1' });
    await until('the next batch', () => batches.length === 2);
    expect(batches[1].payload).toEqual(points(2, 2));
    await until('stats showing the quarantine', () => stats.some((m) => m.payload.quarantined === 1));
    expect(stats.find((m) => m.payload.quarantined === 1).payload).toMatchObject({
      quarantinedRows: 2,
      lastError: 'HTTP 400: bad point at line 1',
    });
    sf.receive({ ...batches[1], statusCode: 200 });
    sf.receive({ control: 'quarantine-retry' });
    await until('the quarantined rows again', () => batches.length === 3);
    expect(batches[2].payload).toEqual(points(0, 2));
  });

  it('refuses quarantine controls naming no quarantined batch, and warns only of a batch that really moved', async () => {
    await helper.load([storeForward, catchNode], flow({ batchRows: '2' }));
    const batches = collect(helper, 'batches');
    const stats = collect(helper, 'stats');
    const caught = collect(helper, 'caught');
    const sf = helper.getNode('sf')!;
    sf.receive({ payload: points(0, 4) });
    await until('a batch', () => batches.length === 1);
    sf.receive({ ...batches[0], statusCode: 400 });
    sf.receive({ ...batches[0], statusCode: 400 }); // answered twice: the second finds the batch gone
    await until('the next batch', () => batches.length === 2);
    expect(helper.logged(30, 'sf').filter((text) => /quarantine/.test(text))).toEqual([
      'store-forward: batch 1-1 refused with HTTP 400: moved to quarantine',
    ]);
    sf.receive({ control: 'quarantine-purge', batch: null });
    sf.receive({ control: 'quarantine-retry', batch: 5 });
    sf.receive({ control: 'quarantine-purge', batch: '9-9' });
    sf.receive({ control: 'quarantine-retry', batch: '9-9' });
    await until('four refusals', () => caught.length === 4);
    const notId = (given: string) =>
      `Error: store-forward: msg.batch must be the id of a quarantined batch (text, as in msg.sf.batch), not ${given}; leave it out to act on every batch. Nothing was changed`;
    expect(caught.map((m) => m.error.message)).toEqual([
      notId('null'),
      notId('5'),
      'Error: store-forward: no quarantined batch "9-9"; nothing was changed',
      'Error: store-forward: no quarantined batch "9-9"; nothing was changed',
    ]);
    const seen = stats.length;
    sf.receive({ control: 'stats' });
    await until('stats', () => stats.length > seen);
    expect(lastStats(stats)).toMatchObject({ quarantined: 1, quarantinedRows: 2 });
    sf.receive({ control: 'quarantine-purge', batch: '1-1' });
    await until('the purge', () => lastStats(stats).quarantined === 0);
    expect(caught).toHaveLength(4);
  });

  it('holds a batch that is not full for the max wait, above 250 ms too', async () => {
    await helper.load([storeForward, catchNode], flow({ maxWaitMs: '600' }));
    const batches = collect(helper, 'batches');
    const sentAt = Date.now();
    helper.getNode('sf')!.receive({ payload: points(0, 3) });
    await until('the batch', () => batches.length === 1, 3000);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(595);
    expect(batches[0].payload).toEqual(points(0, 3));
  });

  it('retries a batch whose answer never comes', async () => {
    await helper.load([storeForward, catchNode], flow({ ackTimeoutS: '0.1' }));
    const batches = collect(helper, 'batches');
    helper.getNode('sf')!.receive({ payload: points(0, 1) });
    await until('a retry after the timeout', () => batches.length === 2, 3000);
    expect(batches[1].sf.attempt).toBe(2);
  });

  it('obeys pause, resume, flush, purge and stats, and refuses unknown controls', async () => {
    await helper.load([storeForward, catchNode], flow({ maxWaitMs: '100000' }));
    const batches = collect(helper, 'batches');
    const stats = collect(helper, 'stats');
    const caught = collect(helper, 'caught');
    const sf = helper.getNode('sf')!;
    sf.receive({ control: 'pause' });
    sf.receive({ payload: points(0, 5) });
    await sleep(300);
    expect(batches).toEqual([]);
    sf.receive({ control: 'stats' });
    await until('stats', () => stats.some((m) => m.payload.rows === 5 && m.payload.paused));
    sf.receive({ control: 'resume' });
    sf.receive({ control: 'flush' });
    await until('a batch', () => batches.length === 1);
    sf.receive({ payload: points(5, 5) });
    await sleep(50);
    sf.receive({ control: 'purge' });
    await until('the purge', () => lastStats(stats).drops.purge === 10);
    sf.receive({ control: 'explode' });
    await until('the refusal', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(
      /unknown control "explode": use pause, resume, flush, purge, stats/,
    );
  });

  it('drops what outlives the max age, with stats off too', async () => {
    // 0.0002 h: 0.72 s, checked every second.
    await helper.load([storeForward, catchNode], flow({ maxAgeHours: '0.0002', statsIntervalS: '0' }));
    const batches = collect(helper, 'batches');
    const stats = collect(helper, 'stats');
    const sf = helper.getNode('sf')!;
    sf.receive({ control: 'pause' });
    sf.receive({ payload: points(0, 5) });
    await until('the expiry', () => stats.length > 0 && lastStats(stats).drops.age === 5, 5000);
    expect(lastStats(stats).rows).toBe(0);
    sf.receive({ control: 'resume' });
    await sleep(300);
    expect(batches).toEqual([]);
  });

  it('refuses what it cannot store with done(err), keeping the rest of the same turn', async () => {
    await helper.load(
      [storeForward, catchNode],
      flow({ maxRows: '5', fullPolicy: 'reject-new', maxWaitMs: '100000' }),
    );
    const caught = collect(helper, 'caught');
    const stats = collect(helper, 'stats');
    const sf = helper.getNode('sf')!;
    const statuses: any[] = [];
    sf.on('call:status' as never, ((call: any) => statuses.push(call.args[0])) as never);
    sf.receive({ control: 'pause' });
    sf.receive({ payload: points(0, 2) });
    sf.receive({ payload: [1, 2] });
    sf.receive({ payload: points(2, 2) });
    await until('one refusal', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(/item 0 must be an object \(got number\); nothing was stored/);
    sf.receive({ payload: points(4, 3) });
    await until('the full queue refusal', () => caught.length === 2);
    expect(caught[1].error.message).toMatch(/queue full \(4 items.*3 new items refused/);
    // The reason stays red in the status, not painted over by the next figures, until a message is stored.
    await sleep(600);
    expect(statuses.at(-1)).toMatchObject({
      fill: 'red',
      text: expect.stringMatching(/^queue full/),
    });
    sf.receive({ payload: points(20, 6) });
    await until('the too large refusal', () => caught.length === 3);
    expect(caught[2].error.message).toMatch(/6 items \(\d+ bytes\) do not fit a queue of 5 items/);
    // For a Catch node answering a request: a bad item and more than the queue holds never fit; full may later.
    expect(caught.map((m) => m.statusCode)).toEqual([400, 503, 413]);
    sf.receive({ control: 'purge' });
    sf.receive({ payload: points(10, 1) });
    await until('the status back to normal', () => statuses.at(-1)?.fill !== 'red');
    sf.receive({ control: 'stats' });
    await until('stats with the 4 accepted rows', () => stats.some((m) => m.payload.rows === 4));
    sf.receive({ sf: { store: 'elsewhere', batch: '1-1' }, statusCode: 200 });
    await until('a foreign batch refused', () => caught.length === 4);
    expect(caught[3].error.message).toMatch(/msg.sf belongs to store "elsewhere", not "test"/);
  });

  it('keeps the backlog and the batch in flight across a redeploy', async () => {
    await helper.load([storeForward, catchNode], flow({ batchRows: '3' }));
    let batches = collect(helper, 'batches');
    helper.getNode('sf')!.receive({ payload: points(0, 7) });
    await until('a batch in flight', () => batches.length === 1);
    await helper.unload();
    await helper.load([storeForward, catchNode], flow({ batchRows: '3' }));
    batches = collect(helper, 'batches');
    const sf = helper.getNode('sf')!;
    const seen: number[] = [];
    for (let round = 0; round < 3; round++) {
      await until(`batch ${round}`, () => batches.length > round);
      seen.push(...batches[round].payload.map((p: any) => p.n));
      sf.receive({ ...batches[round], statusCode: 200 });
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(batches[0].sf.historical).toBe(true);
  });

  it('refuses a second node on the same store, naming the node that has it, until that node is gone', async () => {
    const twin = { ...flow()[0], id: 'twin', wires: [['twinBatches'], []] };
    const both = [...flow(), twin, { id: 'twinBatches', type: 'helper' }];
    await helper.load([storeForward, catchNode], both);
    const inUse =
      /^store-forward: store "test" is already used by node sf \(.*test\.db\): give this node another store/;
    const refusals = () => helper.logged(20, 'twin').filter((text) => inUse.test(text));
    expect(refusals()).toHaveLength(1);
    const statuses = (helper.getNode('twin')!.status as any).getCalls();
    expect(
      statuses.some(
        (call: any) =>
          call.args[0].fill === 'red' && /^store "test" is already used by node sf/.test(call.args[0].text),
      ),
    ).toBe(true);
    // The first node keeps its store to itself: what it sends is all there is.
    const batches = collect(helper, 'batches');
    helper.getNode('sf')!.receive({ payload: points(0, 3) });
    await until('a batch', () => batches.length === 1);
    helper.getNode('twin')!.receive({ payload: points(100, 1) });
    await until('the refusal', () => helper.logged(20, 'twin').some((text) => /not configured/.test(text)));
    // Redeploying the refused node alone must not free the store of the node that has it.
    await (helper as any).setFlows(
      [...flow(), { ...twin, name: 'renamed' }, { id: 'twinBatches', type: 'helper' }],
      'nodes',
    );
    expect(refusals()).toHaveLength(2);
    // Once the first node is gone, the store is free, with its items.
    await (helper as any).setFlows([twin, { id: 'twinBatches', type: 'helper' }], 'full');
    const twinBatches = collect(helper, 'twinBatches');
    await until('the items the first node kept', () => twinBatches.length === 1);
    expect(twinBatches[0].payload).toEqual(points(0, 3));
    expect(refusals()).toHaveLength(2);
  });

  it('logs an SQLite error met while forwarding after a commit, shows it red, runs on and keeps the items', async () => {
    await helper.load([storeForward, catchNode], flow({ batchRows: '2' }));
    const batches = collect(helper, 'batches');
    const sf = helper.getNode('sf')!;
    // A full batch is forwarded from the group commit's callback, which reads the rows (Statement.iterate).
    const failing = vi.spyOn(Statement.prototype, 'iterate').mockImplementation(() => {
      throw ioError();
    });
    sf.receive({ payload: points(0, 2) });
    await until('the error logged', () =>
      helper.logged(20, 'sf').some((text) => /disk I\/O error/.test(text)),
    );
    expect(redStatus(sf, /disk I\/O error/)).toBe(true);
    failing.mockRestore();
    await until('the batch, once SQLite reads again', () => batches.length === 1);
    expect(batches[0].payload).toEqual(points(0, 2));
  });

  it('logs an SQLite error met by the throttled stats report, shows it red and runs on', async () => {
    await helper.load([storeForward, catchNode], flow());
    const stats = collect(helper, 'stats');
    const sf = helper.getNode('sf')!;
    sf.receive({ control: 'pause' });
    await until('the paused stats', () => stats.some((m) => m.payload.paused));
    // The stats read the oldest row and the file size (Statement.get); a report asked for within 250 ms of the
    // last one runs from the throttle's timer.
    const failing = vi.spyOn(Statement.prototype, 'get').mockImplementation(() => {
      throw ioError();
    });
    sf.receive({ payload: points(0, 2) });
    await sleep(1);
    sf.receive({ payload: points(2, 2) });
    await until('the error logged', () =>
      helper.logged(20, 'sf').some((text) => /disk I\/O error/.test(text)),
    );
    expect(redStatus(sf, /disk I\/O error/)).toBe(true);
    await sleep(300); // the throttle's last timer has run
    failing.mockRestore();
    sf.receive({ control: 'stats' });
    await until('stats again, with every item', () => stats.some((m) => m.payload.rows === 4));
  });

  it('keeps a hand-written id with / or .. as one file inside its folder, and an editor-made id as it was', async () => {
    for (const [id, file] of [
      ['../../outside/q', '%2E%2E%2F%2E%2E%2Foutside%2Fq.db'],
      ['3f2a9c1d7e8b4a60', '3f2a9c1d7e8b4a60.db'],
    ] as const) {
      await helper.load(
        [storeForward],
        [{ ...flow({ storeName: '', directory: '' })[0], id, wires: [[], []] }],
      );
      const userDir = (helper as any).settings().userDir as string;
      const node = helper.getNode(id!) as any;
      expect(node.error.called).toBe(false);
      expect(readdirSync(join(userDir, 'plantwire-buffer'))).toContain(file);
      expect(readdirSync(userDir).sort()).toEqual(['plantwire-buffer']);
      await helper.unload();
    }
  });

  it('puts a relative folder under the userDir, not the working directory of Node-RED', async () => {
    await helper.load([storeForward], [{ ...flow({ directory: 'queues/edge' })[0], wires: [[], []] }]);
    const userDir = (helper as any).settings().userDir as string;
    expect(existsSync(join(userDir, 'queues', 'edge', 'test.db'))).toBe(true);
    expect(existsSync(join(process.cwd(), 'queues'))).toBe(false);
  });

  it('refuses a first retry longer than the longest wait', async () => {
    await helper.load(
      [storeForward],
      [{ ...flow({ backoffBaseS: '90', backoffMaxS: '' })[0], wires: [[], []] }],
    );
    expect(
      (helper.getNode('sf') as any).error.calledWithMatch(
        'store-forward: backoffBaseS (90 s, the first retry) is more than backoffMaxS (60 s, the longest wait between retries)',
      ),
    ).toBe(true);
  });

  it('reports a bad store name on deploy and refuses input', async () => {
    await helper.load([storeForward, catchNode], flow({ storeName: '../etc' }));
    const caught = collect(helper, 'caught');
    helper.getNode('sf')!.receive({ payload: points(0, 1) });
    await until('the refusal', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(/not configured/);
  });

  it('refuses on deploy limits that would refuse every message, resend every batch or overflow a timer', async () => {
    for (const [setting, value, rule] of [
      ['maxRows', '0', /maxRows must be a whole number of 1 or more/],
      ['maxMB', '0', /maxMB must be a number of 1 or more/],
      ['ackTimeoutS', '0', /ackTimeoutS must be a number from 0.1 to 86400/],
      // A timer longer than Node's 2^31 ms runs at once: stats every millisecond.
      ['statsIntervalS', 'Infinity', /statsIntervalS must be a number from 0 to 86400 \(got "Infinity"\)/],
      ['statsIntervalS', '2592000', /statsIntervalS must be a number from 0 to 86400/],
    ] as const) {
      await helper.load([storeForward, catchNode], flow({ [setting]: value }));
      const sf = helper.getNode('sf')!;
      expect((sf as any).error.calledWithMatch(rule)).toBe(true);
      await helper.unload();
    }
  });
});
