// The anomaly figures of `npm run bench:rules`: updates per second of each detector's core, through the same
// AnomalyDetector the anomaly-detect node uses (one Map lookup per update), 1,000 series fed round-robin with
// noisy, slowly varying values: anomaly_updates_per_s_<detector> for each detector (ewma goal >= 1,000,000);
// '-' in names becomes '_'.
import { AnomalyDetector, DETECTOR_NAMES, createDetector } from '@plantwire/node-red-rules';

const SERIES = 1000;
const MIN_SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);

/** Deterministic test data: a daily-like wave plus noise, the same for every detector. */
function values(count) {
  let seed = 42;
  const uniform = () => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32;
  return Float64Array.from({ length: count }, (_, i) => 60 + 5 * Math.sin(i / 500) + (uniform() - 0.5) * 2);
}

function measure(name) {
  const detector = new AnomalyDetector(createDetector(name), { maxSeries: SERIES });
  const keys = Array.from({ length: SERIES }, (_, i) => `cnc-${String(i).padStart(4, '0')}/temperature`);
  const data = values(1 << 16);
  const mask = data.length - 1;
  let i = 0;
  let sink = 0;
  const run = (count) => {
    for (let n = 0; n < count; n++, i++) sink += detector.score(keys[i % SERIES], data[i & mask]);
  };
  // Warm up (every series past its warm-up, JIT settled), then time rounds until MIN_SECONDS have passed.
  run(SERIES * 400);
  let round = 10_000;
  let updates = 0;
  const started = process.hrtime.bigint();
  let seconds = 0;
  while (seconds < MIN_SECONDS) {
    run(round);
    updates += round;
    seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (seconds < MIN_SECONDS / 10) round *= 2;
  }
  if (!Number.isFinite(sink)) throw new Error('a score was not finite');
  return Math.round(updates / seconds);
}

export async function measureAnomaly() {
  const figures = {};
  for (const name of DETECTOR_NAMES)
    figures[`anomaly_updates_per_s_${name.replace(/-/g, '_')}`] = measure(name);
  return figures;
}
