// The anomaly figures of `npm run bench:rules`: updates per second of each detector's core, through the same
// AnomalyDetector the anomaly-detect node uses (one Map lookup per update), 1,000 series fed round-robin with
// noisy, slowly varying values: anomaly_updates_per_s_<detector> for each detector (ewma goal >= 1,000,000);
// '-' in names becomes '_'. anomaly_us_per_point: microseconds per point of the node's default detector (rarity,
// goal < 5). forecast_us_per_point: the forecast node's core (seasonal model, a failure limit on every series,
// 12 forecast points over the horizon), microseconds per point. learned_save_ms_10k and learned_restore_ms_10k:
// what keeping 10,000 rarity series' learning costs the event loop, once a minute (state read and made JSON; the
// write goes on in the background) and at deploy (JSON parsed and restored); learned_kb_per_series the file's
// share per series.
import { AnomalyDetector, DETECTOR_NAMES, Forecaster, createDetector } from '@plantwire/node-red-rules';

const SERIES = 1000;
const MIN_SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);

/** Deterministic test data: a daily-like wave plus noise, the same for every detector. */
function values(count) {
  let seed = 42;
  const uniform = () => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32;
  return Float64Array.from({ length: count }, (_, i) => 60 + 5 * Math.sin(i / 500) + (uniform() - 0.5) * 2);
}

/** Updates per second of `update(i)` for the i-th point, 1,000 series round-robin, after a warm-up. */
function rateOf(update) {
  let i = 0;
  const run = (count) => {
    for (let n = 0; n < count; n++, i++) update(i);
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
  return Math.round(updates / seconds);
}

function measure(name) {
  const detector = new AnomalyDetector(createDetector(name), { maxSeries: SERIES });
  const keys = Array.from({ length: SERIES }, (_, i) => `cnc-${String(i).padStart(4, '0')}/temperature`);
  const data = values(1 << 16);
  const mask = data.length - 1;
  let sink = 0;
  const rate = rateOf((i) => (sink += detector.score(keys[i % SERIES], data[i & mask])));
  if (!Number.isFinite(sink)) throw new Error('a score was not finite');
  return rate;
}

function measureForecast() {
  const forecaster = new Forecaster({
    key: 'machine/metric',
    horizonS: 3600,
    steps: 12,
    coverage: 0.95,
    limits: { temperature: 90 },
    warnS: 86_400,
    warmup: 30,
    maxSeries: SERIES,
  });
  const data = values(1 << 16);
  const mask = data.length - 1;
  const points = Array.from({ length: SERIES }, (_, i) => ({
    ts: 0,
    machine: `cnc-${String(i).padStart(4, '0')}`,
    metric: 'temperature',
    value: 0,
  }));
  const t0 = Date.UTC(2026, 0, 5);
  let sink = 0;
  const rate = rateOf((i) => {
    const point = points[i % SERIES];
    point.ts = t0 + Math.floor(i / SERIES) * 10_000;
    point.value = data[i & mask];
    sink += forecaster.forecast(point).point.forecast.length;
  });
  if (!(sink > 0)) throw new Error('no forecast was made');
  return rate;
}

/** The cost of saving and restoring what 10,000 rarity series learned, as anomaly-detect does. */
function measureLearned() {
  const series = 10_000;
  const detector = new AnomalyDetector(createDetector('rarity'), { maxSeries: series });
  const data = values(200 * series);
  for (let i = 0; i < data.length; i++) detector.score(`line-01/m-${i % series}/vibration`, data[i]);
  let started = performance.now();
  const text = JSON.stringify({ validFor: { version: '0' }, state: detector.snapshot() });
  const save = performance.now() - started;
  started = performance.now();
  new AnomalyDetector(createDetector('rarity'), { maxSeries: series }).restore(JSON.parse(text).state);
  const restore = performance.now() - started;
  return {
    learned_save_ms_10k: Math.round(save),
    learned_restore_ms_10k: Math.round(restore),
    learned_kb_per_series: Number((text.length / series / 1000).toFixed(2)),
  };
}

export async function measureAnomaly() {
  const figures = {};
  for (const name of DETECTOR_NAMES)
    figures[`anomaly_updates_per_s_${name.replace(/-/g, '_')}`] = measure(name);
  figures.anomaly_us_per_point = Number((1e6 / figures.anomaly_updates_per_s_rarity).toFixed(3));
  figures.forecast_us_per_point = Number((1e6 / measureForecast()).toFixed(3));
  return { ...figures, ...measureLearned() };
}
