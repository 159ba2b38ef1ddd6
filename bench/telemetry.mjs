// npm run bench:telemetry: schema v1 validation (with normalisation) on one core, arrays of 1,000 points.
// Prints one JSON line: validate_points_per_s, uuidv7_per_s.
import { uuidv7, validatePoints } from '@plantwire/telemetry';
import { telemetryPoint } from '@plantwire/testkit';

const BATCH = 1000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

function makeBatch() {
  const start = Date.now();
  return Array.from({ length: BATCH }, (_, i) =>
    telemetryPoint(start + i, { line: `line-${i % 10}`, machine: `cnc-${i % 100}` }),
  );
}

function rate(work, perCall) {
  for (let i = 0; i < 200; i++) work(); // warm up the JIT
  let calls = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(SECONDS * 1e9);
  let now = started;
  while (now < deadline) {
    for (let i = 0; i < 50; i++) work();
    calls += 50;
    now = process.hrtime.bigint();
  }
  return Math.round((calls * perCall) / (Number(now - started) / 1e9));
}

const batch = makeBatch();
const validate_points_per_s = rate(() => {
  if (validatePoints(batch).valid.length !== BATCH) throw new Error('benchmark batch must be valid');
}, BATCH);
const uuidv7_per_s = rate(() => {
  for (let i = 0; i < BATCH; i++) uuidv7();
}, BATCH);
console.log(JSON.stringify({ validate_points_per_s, uuidv7_per_s, batch: BATCH, node: process.version }));
