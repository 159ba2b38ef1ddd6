// The performance goals of the issues, as data: what docs/performance.md checks each run's figures against.
// `at_least` / `at_most` compare the median; `ratio` names a figure it is compared with (the limit or the peer).

export const GOALS = [
  {
    figure: 'questdb_write_rows_per_s',
    what: 'questdb-write in Node-RED, arrays of 1,000 points',
    at_least: 150_000,
    ratio: { to: 'ilp_ceiling_rows_per_s', at_least: 0.35, label: 'of the limit (pre-encoded ILP)' },
  },
  {
    figure: 'ingest_http_points_per_s',
    what: 'cloud POST /ingest, 1,000-point bodies: token, validation, write',
    at_least: 100_000,
  },
  {
    figure: 'e2e_points_per_s',
    what: 'machine-sim backfill -> store-forward -> HTTP -> /ingest -> QuestDB, two Node-RED processes',
    at_least: 50_000,
    ratio: { to: 'peer_e2e_points_per_s', at_least: 50, label: 'x the stock-node peer' },
  },
  { figure: 'backfill_1m_s', what: '1M points buffered in an outage, drained after it', at_most: 30 },
  { figure: 'live_p99_ms', what: 'live points during that backfill, end to end, p99', at_most: 1000 },
  { figure: 'edge_rss_mb_10m_backlog', what: 'edge Node-RED RSS with 10M points queued', at_most: 250 },
  { figure: 'bench_total_s', what: '`npm run bench`, all of it', at_most: 1200 },
  {
    figure: 'enqueue_points_per_s',
    what: 'store-forward accepting arrays, synchronous=FULL',
    at_least: 150_000,
  },
  {
    figure: 'drain_points_per_s',
    what: 'store-forward forwarding to a sink that acks at once',
    at_least: 250_000,
  },
  { figure: 'engine_points_per_s', what: 'simulator engine, backfill', at_least: 2_000_000 },
  { figure: 'node_points_per_s', what: 'machine-sim backfilling in Node-RED', at_least: 1_000_000 },
  { figure: 'realtime_10k_machines_cpu_pct', what: '10,000 machines at 1 Hz, % of one core', at_most: 25 },
  {
    figure: 'report_day_ms',
    what: 'plant-report, one day of 9 machines at 2 s, all four formats',
    at_most: 5_000,
  },
  { figure: 'threshold_evals_per_s', what: 'alarm engine', at_least: 2_000_000 },
  { figure: 'threshold_node_points_per_s', what: 'threshold-alarm in Node-RED', at_least: 1_000_000 },
  { figure: 'anomaly_us_per_point', what: 'anomaly detector, per point', at_most: 5 },
  { figure: 'kafka_produce_points_per_s', what: 'kafka-produce, arrays', at_least: 100_000 },
];

/** One goal against one run's figures: the median, its range, the ratio, and whether it is met. */
export function check(goal, figures) {
  const figure = figures[goal.figure];
  if (!figure) return { ...goal, measured: null, met: null };
  let met = true;
  if (goal.at_least !== undefined) met &&= figure.median >= goal.at_least;
  if (goal.at_most !== undefined) met &&= figure.median <= goal.at_most;
  let ratio = null;
  if (goal.ratio) {
    const other = figures[goal.ratio.to]?.median;
    ratio = other ? figure.median / other : null;
    met &&= ratio !== null && ratio >= goal.ratio.at_least;
  }
  return { ...goal, measured: figure, ratio_value: ratio, met };
}
