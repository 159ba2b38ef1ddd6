import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuestDb } from '@plantwire/testkit';
import { genericFormat, QuestDbWriter, type WriteResult } from '../src/index.js';

// Property test of the writer's bisection: for random mixes of rows QuestDB accepts and rows it refuses, split
// into writes of random sizes from concurrent callers and flushed in batches of random size, every good row is
// written exactly once and every bad one is reported exactly once, to the caller that wrote it.
// A bad row carries a string in `reading`, a DOUBLE column: QuestDB refuses the whole request for it.
interface Reading extends Record<string, unknown> {
  ts: number;
  n: number;
  machine: string;
  reading: number | string;
}

const TABLE = 'readings';
const START = Date.UTC(2026, 0, 5);

interface Mix {
  /** Per row: does QuestDB refuse it. */
  bad: boolean[];
  /** Sizes of the writes the rows are cut into, cycled. */
  writes: number[];
  flushRows: number;
}

const mix: fc.Arbitrary<Mix> = fc.record({
  bad: fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }),
  writes: fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 8 }),
  flushRows: fc.integer({ min: 1, max: 40 }),
});

function readings({ bad }: Mix): Reading[] {
  return bad.map((isBad, n) => ({ ts: START + n, n, machine: `m${n % 3}`, reading: isBad ? 'oops' : n / 2 }));
}

/** Writes the rows as the mix cuts them, all at once; checks what each caller is told; returns the good rows' n. */
async function writeMix(url: string, sample: Mix): Promise<number[]> {
  const rows = readings(sample);
  const writer = new QuestDbWriter(
    { url },
    genericFormat({ name: TABLE, timestampField: 'ts', symbols: ['machine'] }),
    {
      flushRows: sample.flushRows,
      flushIntervalMs: 1,
    },
  );
  const calls: Reading[][] = [];
  for (let start = 0, i = 0; start < rows.length; i++) {
    const size = sample.writes[i % sample.writes.length]!;
    calls.push(rows.slice(start, start + size));
    start += size;
  }
  const results: WriteResult[] = await Promise.all(calls.map((call) => writer.write(call)));
  await writer.close();
  calls.forEach((call, i) => {
    const rejected = results[i]!.rejected.map((r) => (r.point as Reading).n);
    expect(rejected).toEqual(call.filter((row) => typeof row.reading === 'string').map((row) => row.n));
    expect(results[i]!.written).toBe(call.length - rejected.length);
    for (const r of results[i]!.rejected)
      expect(r.reason).toMatch(/^QuestDB refused the row \(HTTP 400\): .*reading/);
  });
  return rows.filter((row) => typeof row.reading === 'number').map((row) => row.n);
}

/**
 * Answers like QuestDB's /write: 400 naming the first bad line when a request holds one (and then stores
 * nothing of it), 204 otherwise. Keeps the `n` of every row it stored.
 */
function fakeQuestDb(): { server: Server; stored: number[] } {
  const stored: number[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const lines = body.split('\n').filter(Boolean);
      const bad = lines.findIndex((line) => line.includes('reading="'));
      if (bad >= 0) {
        response.writeHead(400, { 'Content-Type': 'application/json' });
        response.end(
          JSON.stringify({
            code: 'invalid',
            message: `failed to parse line protocol:errors encountered on line(s):\nerror in line ${bad + 1}: table: ${TABLE}, column: reading; cast error from protocol type: STRING to column type: DOUBLE`,
            line: bad + 1,
            errorId: 'fake-1',
          }),
        );
        return;
      }
      for (const line of lines) stored.push(Number(/[ ,]n=([\d.]+)/.exec(line)![1]));
      response.writeHead(204).end();
    });
  });
  return { server, stored };
}

describe('QuestDbWriter bisection', () => {
  let fake: ReturnType<typeof fakeQuestDb>;
  let url: string;
  beforeAll(async () => {
    fake = fakeQuestDb();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => fake.server.close(() => resolve())));

  it('writes every good row exactly once and reports every bad one once (fake /write, random mixes)', async () => {
    await fc.assert(
      fc.asyncProperty(mix, async (sample) => {
        fake.stored.length = 0;
        const good = await writeMix(url, sample);
        expect([...fake.stored].sort((a, b) => a - b)).toEqual(good);
      }),
      { numRuns: 150 },
    );
  });
});

describe('QuestDbWriter bisection against a real QuestDB', () => {
  it('writes every good row of a random mix exactly once and reports every bad one', async () => {
    const questdb = await startQuestDb();
    try {
      // Created first, so the column types do not depend on which row QuestDB sees first.
      await questdb.exec(
        `CREATE TABLE ${TABLE} (ts TIMESTAMP, machine SYMBOL, n DOUBLE, reading DOUBLE) TIMESTAMP(ts) PARTITION BY DAY WAL`,
      );
      const [sample] = fc.sample(
        mix.filter((m) => m.bad.includes(true) && m.bad.includes(false)),
        {
          numRuns: 1,
          seed: 21,
        },
      );
      const good = await writeMix(questdb.httpUrl, sample!);
      await questdb.waitForWal(TABLE);
      const stored = await questdb.rows<{ n: number }>(`SELECT n FROM ${TABLE} ORDER BY n`);
      expect(stored.map((row) => row.n)).toEqual(good);
    } finally {
      await questdb.stop();
    }
  });
});
