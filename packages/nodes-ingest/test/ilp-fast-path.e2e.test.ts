import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sender } from '@questdb/nodejs-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePoints, type Point } from '@plantwire/telemetry';
import { startQuestDb, telemetryPoint, type QuestDb } from '@plantwire/testkit';
import { DEFAULT_TABLE, telemetryTableDdl, TelemetryWriter } from '../src/index.js';

// The writer encodes ILP itself (src/core/ilp.ts). This property test holds it to the official client: for random
// points (every identifier character the schema allows, units full of characters ILP escapes, extreme values,
// every timestamp form) both store identical rows in a real QuestDB.

const identifier = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);
const awkward = fc.constantFrom(' ', ',', '=', '\\', '"', "'", '\t', 'é', '°', '㎥', '😀', '/', '%', 'x');
const unit = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 32, unit: 'grapheme' }),
  fc.string({ maxLength: 32, unit: awkward }),
);
const START = Date.UTC(2026, 0, 5);
const ts = fc.oneof(
  fc.integer({ min: START, max: START + 86_400_000 }),
  fc.double({ min: START, max: START + 86_400_000, noNaN: true }),
  fc
    .tuple(
      fc.integer({ min: START, max: START + 86_400_000 }),
      fc.constantFrom('Z', '+00:00', '-05:30', '+0130', 'z'),
      fc.constantFrom('', '.1', '.123', '.123456789'),
    )
    .map(([ms, zone, fraction]) => {
      const offset =
        zone === 'Z' || zone === 'z' ? 0 : Number(zone.slice(0, 3)) * 60 + Number(zone.slice(-2));
      const local = new Date(ms + (zone.startsWith('-') ? -1 : 1) * Math.abs(offset) * 60_000);
      return `${local.toISOString().slice(0, 19)}${fraction}${zone}`;
    }),
);
const value = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** 53, 0.1 + 0.2),
  fc.integer(),
);
const point = fc.record({
  ts,
  id: fc.uuid().chain((id) => fc.constantFrom(id, id.toUpperCase())),
  tenant: identifier,
  plant: identifier,
  line: identifier,
  machine: identifier,
  metric: identifier,
  value,
  unit,
  q: fc.integer({ min: 0, max: 100 }),
});

/** The rows as the official client writes them (protocol version 1, the text floats our encoder writes too). */
async function writeWithClient(questdb: QuestDb, table: string, points: Point[]): Promise<void> {
  const sender = await Sender.fromConfig(
    `http::addr=${questdb.host}:${questdb.httpPort};auto_flush=off;protocol_version=1;`,
  );
  for (const p of points) {
    await sender
      .table(table)
      .symbol('tenant', p.tenant)
      .symbol('plant', p.plant)
      .symbol('line', p.line)
      .symbol('machine', p.machine)
      .symbol('metric', p.metric)
      .symbol('unit', p.unit)
      .stringColumn('id', p.id)
      .floatColumn('value', p.value)
      .intColumn('q', p.q)
      .at(p.ts, 'ms');
  }
  await sender.flush();
  await sender.close();
}

const SELECT = (table: string) =>
  `SELECT ts, id, tenant, plant, line, machine, metric, unit, value, q FROM ${table} ORDER BY id, ts`;

describe('the ILP fast path against the official client', () => {
  let questdb: QuestDb;
  const fast = { ...DEFAULT_TABLE, name: 'fast_path' };
  const client = { ...DEFAULT_TABLE, name: 'official_client' };
  beforeAll(async () => {
    questdb = await startQuestDb();
    await questdb.exec(telemetryTableDdl(fast));
    await questdb.exec(telemetryTableDdl(client));
  });
  afterAll(() => questdb?.stop());

  it('stores identical rows for random points', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(point, { minLength: 1, maxLength: 40 }), async (input) => {
        const { valid, invalid } = validatePoints(input);
        expect(invalid).toEqual([]);
        await questdb.exec(`TRUNCATE TABLE ${fast.name}`);
        await questdb.exec(`TRUNCATE TABLE ${client.name}`);
        const writer = new TelemetryWriter({ url: questdb.httpUrl }, { table: fast, flushRows: 7 });
        expect(await writer.write(input)).toEqual({ written: input.length, rejected: [] });
        await writer.close();
        await writeWithClient(questdb, client.name, valid);
        await questdb.waitForWal(fast.name);
        await questdb.waitForWal(client.name);
        const stored = await questdb.rows(SELECT(fast.name));
        expect(stored).toHaveLength(new Set(valid.map((p) => `${p.ts} ${p.id.toLowerCase()}`)).size);
        expect(stored).toEqual(await questdb.rows(SELECT(client.name)));
      }),
      { numRuns: 25 },
    );
  });

  it('writes over TLS with a private CA, and refuses a certificate it cannot verify', async () => {
    // QuestDB open source speaks plain HTTP: a TLS front with a self-signed certificate, as a user would put one.
    const dir = mkdtempSync(join(tmpdir(), 'plantwire-tls-'));
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const front = https.createServer(
      { key: readFileSync(key), cert: readFileSync(cert) },
      (request, response) => {
        const upstream = http.request(
          {
            host: questdb.host,
            port: questdb.httpPort,
            path: request.url,
            method: request.method,
            headers: request.headers,
          },
          (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
          },
        );
        request.pipe(upstream);
      },
    );
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const table = { ...DEFAULT_TABLE, name: 'over_tls' };
    try {
      const trusted = new TelemetryWriter({ url, caFile: cert }, { table });
      expect(await trusted.write([telemetryPoint(START + 1)])).toEqual({ written: 1, rejected: [] });
      await trusted.close();
      await questdb.waitForWal(table.name);
      expect(await questdb.rows(`SELECT count() n FROM ${table.name}`)).toEqual([{ n: 1 }]);

      const untrusting = new TelemetryWriter({ url }, { table, maxAttempts: 1 });
      await expect(untrusting.write([telemetryPoint(START + 2)])).rejects.toThrow(/self-signed certificate/);
      await untrusting.close();
    } finally {
      front.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
