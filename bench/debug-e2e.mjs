import { mkdirSync } from 'node:fs';
import { sleep, startNodeRed, startQuestDb, startWanLink } from '@plantwire/testkit';
process.env.BENCH_ONLY_LOAD = '1';
const { cloudFlow, edgeFlow } = await import('./pipeline.mjs');
const questdb = await startQuestDb({ heap: '2g' });
const cloud = await startNodeRed({ flows: cloudFlow(questdb.httpUrl) });
const link = await startWanLink({ target: { host: '127.0.0.1', port: cloud.port } });
mkdirSync('/tmp/edge-store', { recursive: true });
const flows = edgeFlow(link.url, '/tmp/edge-store');
flows.push(
  { id: 'dbg-catch', z: 'bench-edge', type: 'catch', scope: null, uncaught: false, wires: [['dbg-out']] },
  {
    id: 'dbg-out',
    z: 'bench-edge',
    type: 'debug',
    active: true,
    tosidebar: false,
    console: true,
    complete: 'error',
    wires: [],
  },
  { id: 'dbg-st', z: 'bench-edge', type: 'status', scope: null, wires: [['dbg-out2']] },
  {
    id: 'dbg-out2',
    z: 'bench-edge',
    type: 'debug',
    active: true,
    tosidebar: false,
    console: true,
    complete: 'status',
    wires: [],
  },
);
console.log(JSON.stringify(flows.filter((n) => n.type === 'machine-sim' || n.type === 'http in')));
const edge = await startNodeRed({ flows });
const from = Date.UTC(2025, 0, 6);
const r = await fetch(`${edge.url}/bench/cmd`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ cmd: 'backfill', from, to: from + 600_000 }),
});
console.log('cmd', r.status);
for (let i = 0; i < 10; i++) {
  await sleep(2000);
  const [row] = await questdb.rows('SELECT count() n FROM plantwire_telemetry').catch(() => [{ n: -1 }]);
  const stats = await (await fetch(`${edge.url}/bench/stats`)).text();
  console.log(new Date().toISOString(), row.n, stats.slice(0, 300));
}
console.log(edge.process.output().slice(-2500));
await edge.stop();
await link.stop();
await cloud.stop();
await questdb.stop();
process.exit(0);
