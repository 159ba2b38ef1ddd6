import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Point } from '@plantwire/telemetry';
import {
  classify,
  eventsFormat,
  exec,
  genericFormat,
  IlpBuffer,
  telemetryFormat,
  TelemetryWriter,
} from '../src/index.js';

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
  it('closes within a second while QuestDB is unreachable: one more attempt, not the retry schedule; the write fails', async () => {
    // Nothing listens on port 9 here; 10 attempts with backoff up to 30 s would take minutes.
    const writer = new TelemetryWriter(
      { url: 'http://127.0.0.1:9' },
      { flushIntervalMs: 1, maxAttempts: 10, retryBaseMs: 5_000, retryMaxMs: 30_000 },
    );
    const write = writer.write([point(1)]);
    const failed = expect(write).rejects.toMatchObject({ kind: 'unavailable' });
    await new Promise((resolve) => setTimeout(resolve, 200)); // the first attempt failed, the retry waits
    const started = Date.now();
    await writer.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    await failed;
  });

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

  it('sends at once when idle, batches while requests are out, and keeps at most inFlight requests open', async () => {
    let open = 0;
    let mostOpen = 0;
    const sizes: number[] = [];
    class SlowWriter extends TelemetryWriter {
      protected override async send(points: Point[]): Promise<void> {
        sizes.push(points.length);
        mostOpen = Math.max(mostOpen, ++open);
        await new Promise((resolve) => setTimeout(resolve, 30));
        open--;
      }
    }
    const writer = new SlowWriter({ url: 'http://127.0.0.1:1' }, { flushIntervalMs: 60_000, inFlight: 2 });
    const startedAt = Date.now();
    await writer.write([point(0)]);
    // Not the 60 s flush interval: nothing was in flight, so the row went out in the same turn.
    expect(Date.now() - startedAt).toBeLessThan(1000);
    sizes.length = 0;
    // Ten writes in one turn go out together; rows written while that request is out wait for it, then go as one.
    const first = Array.from({ length: 10 }, (_, i) => writer.write([point(i)]));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = Array.from({ length: 10 }, (_, i) => writer.write([point(10 + i), point(20 + i)]));
    await Promise.all([...first, ...second]);
    expect(sizes).toEqual([10, 20]);
    // Full batches start at once, up to inFlight of them.
    sizes.length = 0;
    const full = new SlowWriter({ url: 'http://127.0.0.1:1' }, { flushRows: 5, inFlight: 3 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => full.write([point(i), point(i + 100)])));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(24);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(5);
    expect(mostOpen).toBe(3);
  });

  it('sends a partial batch only when no request is out, so rows gather into few big requests', async () => {
    const sizes: number[] = [];
    const answers: (() => void)[] = [];
    class HeldWriter extends TelemetryWriter {
      protected override send(points: Point[]): Promise<void> {
        sizes.push(points.length);
        return new Promise((resolve) => answers.push(resolve));
      }
    }
    const writer = new HeldWriter({ url: 'http://127.0.0.1:1' }, { flushRows: 5, flushIntervalMs: 60_000 });
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const writes = [writer.write([0, 1, 2, 3, 4].map(point)), writer.write([5, 6, 7, 8, 9].map(point))];
    await turn();
    expect(sizes).toEqual([5, 5]); // full batches go at once
    writes.push(writer.write([point(10), point(11)]));
    await turn();
    answers.shift()!();
    await turn();
    // One request is still out: the partial batch waits for it and gathers what comes meanwhile.
    writes.push(writer.write([point(12), point(13)]));
    await turn();
    expect(sizes).toEqual([5, 5]);
    answers.shift()!();
    await turn();
    expect(sizes).toEqual([5, 5, 4]);
    answers.shift()!();
    await Promise.all(writes);
  });

  it('classifies failures', () => {
    expect(classify(new Error('statusCode=503')).kind).toBe('unavailable');
    expect(classify(new Error('statusCode=429')).kind).toBe('unavailable');
    // Only 400 and 413 are about the rows: a proxy's 404 while QuestDB restarts must not refuse them.
    expect(classify(new Error('statusCode=404')).kind).toBe('unavailable');
    expect(classify(new Error('statusCode=405')).kind).toBe('unavailable');
    expect(classify(new Error('statusCode=400')).kind).toBe('bad-data');
    expect(classify(new Error('statusCode=413')).kind).toBe('bad-data');
    expect(classify(new Error('statusCode=403')).kind).toBe('auth');
  });

  it('keeps the rows when the address answers 404 or refuses to create the table: they wait, none is refused', async () => {
    // A server that is not (yet) QuestDB: a proxy answering 404, or a QuestDB refusing the table's CREATE.
    const serve = (answer: (req: IncomingMessage) => [number, string]) =>
      new Promise<Server>((resolve) => {
        const server = createServer((req, res) => {
          req.resume();
          const [status, body] = answer(req);
          res.writeHead(status, { 'content-type': 'application/json' }).end(body);
        });
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    const writerAt = (server: Server) =>
      new TelemetryWriter(
        { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
        { flushIntervalMs: 1, retryBaseMs: 1, retryMaxMs: 2, maxAttempts: 2 },
      );
    const proxy = await serve(() => [404, '{"error":"Not Found"}']);
    const refusing = await serve((req) =>
      req.url!.startsWith('/exec')
        ? [400, '{"error":"TTL value must be a multiple of the partition size"}']
        : [204, ''],
    );
    try {
      await expect(writerAt(proxy).write([point(1), point(2)])).rejects.toMatchObject({
        kind: 'unavailable',
      });
      await expect(writerAt(refusing).write([point(1), point(2)])).rejects.toMatchObject({
        kind: 'unavailable',
        message:
          'QuestDB refused to create table plantwire_telemetry: QuestDB: TTL value must be a multiple of the partition size',
      });
    } finally {
      proxy.close();
      refusing.close();
    }
  });

  it('settles when the connection closes mid-answer: the query fails as unavailable, the write retries', async () => {
    // Headers and part of a body, then the connection closes (QuestDB restarting, a proxy dropping it).
    let cut = true;
    const server = createServer((req, res) => {
      req.resume();
      if (!cut) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ddl":"OK"}');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"ddl":');
      setTimeout(() => req.socket.destroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await expect(exec({ url, requestTimeoutMs: 10_000 }, 'SELECT 1')).rejects.toMatchObject({
        kind: 'unavailable',
        message: 'QuestDB unavailable: connection closed before the answer was complete',
      });
      // The writer's table check is cut once, then answered: the point is written, not stuck behind it.
      const writer = new TelemetryWriter({ url }, { flushIntervalMs: 1, retryBaseMs: 1, retryMaxMs: 2 });
      setTimeout(() => (cut = false), 50);
      await expect(writer.write([point(1)])).resolves.toMatchObject({ written: 1 });
      await writer.close();
    } finally {
      server.close();
    }
  });

  it('names a full or read-only disk first, from the OS error QuestDB reports', () => {
    const answer = (errno: number) =>
      new Error(
        `HTTP request failed, statusCode=500, error={"code":"internal error","message":"failed to parse line ` +
          `protocol:errors encountered on line(s):write error: t, errno: ${errno}, error: Cannot create WAL directory"}`,
      );
    expect(classify(answer(28))).toMatchObject({ kind: 'unavailable', status: 500 });
    expect(classify(answer(28)).message).toMatch(
      /^QuestDB cannot write: disk full \(errno 28\): HTTP request failed/,
    );
    expect(classify(answer(30)).message).toMatch(/^QuestDB cannot write: read-only file system \(errno 30\)/);
    expect(classify(answer(99)).message).toMatch(/^QuestDB unavailable: HTTP request failed/);
  });
});

describe('ILP encoding', () => {
  const encode = <T>(format: { encode(row: T, out: IlpBuffer): void }, rows: T[]) => {
    const out = new IlpBuffer(16);
    for (const row of rows) format.encode(row, out);
    return out.view().toString();
  };

  it('writes a telemetry line per point, escaping the unit, and reuses the series prefix', () => {
    const format = telemetryFormat();
    const odd = { ...point(2), value: 2.5, unit: 'm 3,h=x\\y', q: 80 };
    expect(encode(format, [point(1), odd, { ...point(3), value: -1e300 }])).toBe(
      'plantwire_telemetry,tenant=acme,plant=p,line=l,machine=m,metric=t,unit= ' +
        'id="01944a1c-7a3b-7c4d-8e5f-000000000001",value=1,q=100i 1767571200001\n' +
        'plantwire_telemetry,tenant=acme,plant=p,line=l,machine=m,metric=t,unit=m\\ 3\\,h\\=x\\\\y ' +
        'id="01944a1c-7a3b-7c4d-8e5f-000000000002",value=2.5,q=80i 1767571200002\n' +
        'plantwire_telemetry,tenant=acme,plant=p,line=l,machine=m,metric=t,unit= ' +
        'id="01944a1c-7a3b-7c4d-8e5f-000000000003",value=-1e+300,q=100i 1767571200003\n',
    );
  });

  it('writes generic rows: symbols escaped, strings quoted, booleans, no timestamp when there is none', () => {
    const format = genericFormat({ name: 'jobs', timestampField: 'at', symbols: ['cell'] });
    expect(
      encode(format, [
        { cell: 'a b', note: 'say "hi"\nnow', ok: true, n: 3, at: '2026-01-05T00:00:00.000Z' },
        { cell: 'c', meta: { x: 1 } },
      ]),
    ).toBe(
      'jobs,cell=a\\ b note="say \\"hi\\"\\\nnow",ok=t,n=3 1767571200000\n' +
        'jobs,cell=c meta="{\\"x\\":1}"\n',
    );
  });

  it('writes a BigInt as a long, and refuses per row what cannot be written, before any request', () => {
    const format = genericFormat({ name: 'jobs', timestampField: '', symbols: [] });
    expect(encode(format, [{ count: 9007199254740993n }])).toBe('jobs count=9007199254740993i\n');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const { rows, rejected } = format.prepare([
      { ok: 1 },
      { big: 2n ** 64n },
      { f: () => 1 },
      { s: Symbol('x') },
      { meta: { n: 1n } },
      { meta: cycle },
    ]);
    expect(rows).toEqual([{ ok: 1 }]);
    expect(rejected.map((r) => r.reason)).toEqual([
      'field "big" must fit in a 64-bit integer',
      'field "f" must be a number, string, boolean or JSON value (got function)',
      'field "s" must be a number, string, boolean or JSON value (got symbol)',
      'field "meta" cannot be written as JSON (a cycle, or a BigInt inside)',
      'field "meta" cannot be written as JSON (a cycle, or a BigInt inside)',
    ]);
  });

  it('writes an event with its message quoted and no value column when it has none', () => {
    const line = encode(eventsFormat(), [
      {
        ts: 5,
        id: 'e',
        tenant: 't',
        plant: 'p',
        line: 'l',
        machine: 'm',
        kind: 'alarm',
        name: 'hot',
        state: 'active-unack',
        priority: 'high',
        value: null,
        message: 'x "y"',
      },
    ]);
    expect(line).toBe(
      'plantwire_events,tenant=t,plant=p,line=l,machine=m,kind=alarm,name=hot,state=active-unack,priority=high ' +
        'id="e",message="x \\"y\\"" 5\n',
    );
  });
});
