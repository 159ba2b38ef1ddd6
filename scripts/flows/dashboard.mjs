// flows/dashboard.json: Dashboard 2.0 in the cloud Node-RED, fed from QuestDB (tenant-scoped) and the plant
// broker. Pages: Overview, Machine, Alarms, Edge health, Faults, Architecture.
import { readFileSync } from 'node:fs';
import {
  FAULTS,
  GAUGES,
  MACHINES,
  PLANT,
  TENANT,
  TOPIC_VARIABLES,
  broker,
  commentsOf,
  functionsOf,
  nodesOf,
  publish,
  querying,
  questdb,
  set,
  subscription,
  tab,
  topicVariables,
  variable,
} from './plant.mjs';
import {
  base,
  chart,
  dropdown,
  group,
  notification,
  page,
  table,
  template,
  text,
  widgetsOf,
} from './dashboard-widgets.mjs';

const z = 'dash';
const node = nodesOf(z);
const widget = widgetsOf(node);
const comment = commentsOf(z);
const source = (file) => readFileSync(new URL(`templates/${file}`, import.meta.url), 'utf8');

/** Each gauge's chart title: its units, as the demo's machine types (CNC, press, pump) send them. */
const GAUGE_TITLES = {
  temperature: 'temperature (degC)',
  vibration: 'vibration (mm/s)',
  power: 'power (kW)',
  speed: 'speed (rpm; a press: strokes/min)',
  pressure: 'pressure (bar; presses and pumps only)',
};

/** One chart per gauge, then energy, production counters, the state code and the forecast's remaining life. */
export const CHARTS = [
  ...GAUGES.map((metric) => ({
    id: `dash-chart-${metric}`,
    label: GAUGE_TITLES[metric] ?? metric,
    metrics: [metric],
  })),
  { id: 'dash-chart-energy', label: 'energy (kWh)', metrics: ['energy'] },
  {
    id: 'dash-chart-production',
    label: 'parts (good, scrap by reason)',
    metrics: ['units_good', 'scrap_quality', 'scrap_machine_error', 'scrap_material', 'scrap_operator'],
  },
  {
    id: 'dash-chart-state',
    label: 'state',
    metrics: ['state'],
    // A code: each bucket's last state, not their mean (2.5 is no state), drawn as steps on an axis of the state
    // names (code 1 is the first), never as a ramp through the codes between two states.
    lastValue: true,
    names: ['RUNNING', 'IDLE', 'SETUP', 'ERROR', 'MAINTENANCE'],
    interpolation: 'step',
  },
  {
    id: 'dash-chart-rul',
    label: 'remaining life (min; 120: no drift, or 2 h+)',
    metrics: ['vibration_rul'],
    // Sent only when it changes (each forecast's first point, then during a drift): drawn as steps, its last value
    // held until now.
    onChange: true,
    lastValue: true,
    interpolation: 'step',
    // In minutes (the forecast sends seconds), from 0, where the life runs out, to its cap of 2 hours.
    scale: 1 / 60,
    ymin: 0,
    ymax: 120,
    yStep: 30,
  },
];
/** A QuestDB SAMPLE BY bucket (10s, 2m) in ms. */
const bucketMs = (bucket) =>
  Number(bucket.slice(0, -1)) * { s: 1000, m: 60_000, h: 3_600_000 }[bucket.slice(-1)];

/** Machine page windows and the bucket each is drawn with (a few hundred points per series at most). */
const WINDOWS = [
  ['15', '15 minutes', '10s'],
  ['60', '1 hour', '30s'],
  ['360', '6 hours', '2m'],
  ['1440', '24 hours', '10m'],
];

const fn = functionsOf(z);
const every = (id, col, row, seconds, wires) =>
  node(
    id,
    'inject',
    col,
    row,
    {
      name: `every ${seconds} s`,
      props: [],
      repeat: String(seconds),
      crontab: '',
      once: true,
      onceDelay: 1,
      topic: '',
    },
    [wires],
  );
/** The query parameters of this plant (the tenant can hold several, in one QuestDB), with `extra`. */
const plantParams = (id, col, row, extra, wires) =>
  node(
    id,
    'change',
    col,
    row,
    {
      name: 'tenant, plant',
      rules: [set('params', `$merge([{"tenant": $env("TENANT"), "plant": $env("PLANT")}, ${extra}])`)],
    },
    [wires],
  );
const query = (id, col, row, props, wires) =>
  node(id, 'questdb-query', col, row, querying('dash-db', props), [wires]);
/**
 * Rows with one ISO time column shown as HH:MM:SS (UTC: the same on every screen of the plant) and the number
 * columns named to one decimal, as the active alarms show theirs: one format per column (not "83" above "89.9").
 */
const utcTimes = (id, col, row, field, wires, numberFields = []) =>
  node(
    id,
    'change',
    col,
    row,
    {
      name: numberFields.length ? 'times, values' : 'times',
      rules: [
        set(
          'payload',
          `[payload.$merge([$, {"${field}": $fromMillis($toMillis(${field}), "[H01]:[m01]:[s01]")}${numberFields
            .map((f) => `, {"${f}": $type(${f}) = "number" ? $formatNumber(${f}, "0.0") : ${f}}`)
            .join('')}])]`,
        ),
      ],
    },
    [wires],
  );
/** HH:MM:SS UTC of epoch milliseconds, in a function node. */
const UTC_TIME = 'const utc = (ms) => `${new Date(ms).toISOString().slice(11, 19)} UTC`;';
/**
 * Between a dashboard query and what it feeds: questdb-query answers [] with msg.statusCode 503 while QuestDB is
 * unreachable, which a table would show as "No data available", as if nothing happened. Such an answer goes no
 * further (the widgets keep the last figures); the second output, a ui-text, says since when QuestDB is
 * unreachable, and "answering" again once it answers.
 */
const answered = (id, col, row, wires, notice) =>
  fn(
    id,
    col,
    row,
    'QuestDB answered?',
    [
      UTC_TIME,
      "const since = context.get('since');",
      'if (msg.statusCode === 503) {',
      '  const now = Date.now();',
      "  if (!since) context.set('since', now);",
      "  const last = context.get('last');",
      '  const shown = last ? `showing its answer of ${utc(last)}` : "nothing to show yet";',
      '  return [null, { payload: `UNREACHABLE since ${utc(since || now)}; ${shown}` }];',
      '}',
      "context.set('since', undefined);",
      "context.set('last', Date.now());",
      "return [msg, { payload: 'answering' }];",
    ],
    2,
    [wires, [notice]],
  );
const subscribe = (id, col, row, name, topic, wires) =>
  node(id, 'mqtt in', col, row, subscription('dash-broker', name, topic), [wires]);
const commands = (id, col, row) =>
  node(
    id,
    'mqtt out',
    col,
    row,
    publish('dash-broker', TOPIC_VARIABLES.COMMAND_TOPIC, variable('COMMAND_TOPIC'), { qos: '1' }),
  );

function overview() {
  return [
    page('dash-page-overview', 'Overview', '/overview', 'factory', 1),
    // On the tab, so that its title can be the tab variable PLANT_LABEL (a global config node sees no tab's).
    { ...group('dash-g-plant', 'dash-page-overview', variable('PLANT_LABEL'), 12, 1), z },
    group('dash-g-machines', 'dash-page-overview', 'Machines (OEE over the shift and the last hour)', 12, 2),
    group('dash-g-scrap', 'dash-page-overview', 'Scrap by reason (last hour, parts)', 12, 3),
    group('dash-g-oee', 'dash-page-overview', 'How the figures are computed', 12, 4),
    every('dash-kpi-tick', 0, 1, 5, ['dash-kpi-params']),
    plantParams('dash-kpi-params', 1, 1, '{"minutes": 60}', ['dash-kpi-query']),
    query('dash-kpi-query', 2, 1, { name: 'OEE per machine', mode: 'kpis' }, [
      'dash-kpi-answered',
      'dash-plant-summary',
    ]),
    answered('dash-kpi-answered', 3, 0.5, ['dash-kpi-times'], 'dash-plant-questdb'),
    utcTimes(
      'dash-kpi-times',
      4,
      1,
      'last_seen',
      ['dash-kpi-table', 'dash-scrap-table'],
      [
        'oee_shift',
        'oee_hour',
        'availability',
        'performance',
        'quality',
        'energy_kwh',
        'scrap_rate',
        'health',
      ],
    ),
    widget(
      'dash-kpi-table',
      'ui-table',
      'dash-g-machines',
      1,
      4,
      1,
      table('KPIs per machine', [
        ['Line', 'line'],
        ['Machine', 'machine'],
        ['State', 'state'],
        ['OEE shift %', 'oee_shift'],
        ['OEE hour %', 'oee_hour'],
        // Short: the twelve columns fit a 1024-px tablet (the formulas are under "How the figures are computed").
        ['Avail. %', 'availability'],
        ['Perf. %', 'performance'],
        ['Quality %', 'quality'],
        ['Energy kWh', 'energy_kwh'],
        ['Scrap %', 'scrap_rate'],
        ['Health', 'health'],
        ['Last seen (UTC)', 'last_seen'],
      ]),
    ),
    widget(
      'dash-scrap-table',
      'ui-table',
      'dash-g-scrap',
      1,
      4,
      2,
      table('scrap by reason', [
        ['Line', 'line'],
        ['Machine', 'machine'],
        ['QUALITY', 'scrap_quality'],
        ['MACHINE_ERROR', 'scrap_machine_error'],
        ['MATERIAL', 'scrap_material'],
        ['OPERATOR', 'scrap_operator'],
        ['Scrap %', 'scrap_rate'],
      ]),
    ),
    fn(
      'dash-plant-summary',
      3,
      3.5,
      'plant figures',
      [
        '// Plant-wide figures from the per-machine KPIs: mean OEE (of the machines that have one yet), machines',
        '// running, energy of the last hour; and their age, from the newest last_seen (not the time of the query: in',
        '// a WAN cut, the figures stop at the last point that came through). While QuestDB is unreachable (an empty',
        '// answer with statusCode 503) the figures stay as they were and only their age moves on.',
        UTC_TIME,
        'const STALE_S = 30;',
        'const age = (newest) => {',
        "  if (!newest) return { payload: 'no data yet' };",
        '  const s = Math.max(0, Math.round((Date.now() - newest) / 1000));',
        "  return { payload: `${s > STALE_S ? 'STALE: ' : ''}${utc(newest)} (${s} s ago)` };",
        '};',
        "if (msg.statusCode === 503) return [null, null, null, age(context.get('newest'))];",
        'const rows = Array.isArray(msg.payload) ? msg.payload : [];',
        'const seen = rows.map((r) => Date.parse(r.last_seen)).filter((t) => !Number.isNaN(t));',
        "const newest = seen.length ? Math.max(...seen) : context.get('newest');",
        "context.set('newest', newest);",
        "const oee = rows.map((r) => r.oee_hour).filter((v) => typeof v === 'number');",
        "const mean = oee.length ? `${(oee.reduce((a, b) => a + b, 0) / oee.length).toFixed(1)} %` : 'not yet known';",
        "const running = rows.filter((r) => r.state === 'RUNNING').length;",
        'const energy = rows.reduce((sum, r) => sum + (r.energy_kwh || 0), 0);',
        'return [',
        '  { payload: mean },',
        '  { payload: `${running} of ${rows.length}` },',
        '  { payload: `${energy.toFixed(1)} kWh` },',
        '  age(newest),',
        '];',
      ],
      4,
      [['dash-plant-oee'], ['dash-plant-running'], ['dash-plant-energy'], ['dash-plant-updated']],
    ),
    widget('dash-plant-oee', 'ui-text', 'dash-g-plant', 1, 4, 3, {
      ...text('Plant OEE (last hour)'),
      width: 3,
    }),
    widget('dash-plant-running', 'ui-text', 'dash-g-plant', 2, 4, 4, {
      ...text('Machines running'),
      width: 3,
    }),
    widget('dash-plant-energy', 'ui-text', 'dash-g-plant', 3, 4, 5, {
      ...text('Energy (last hour)'),
      width: 3,
    }),
    // The age of the figures beside them; then the alarms and whether QuestDB answers, in sentences that wrap.
    widget('dash-plant-updated', 'ui-text', 'dash-g-plant', 4, 4, 6, {
      ...text('Data as of'),
      wrapText: true,
      width: 3,
    }),
    widget('dash-plant-alarms', 'ui-text', 'dash-g-plant', 5, 2, 19, {
      ...text('Alarms'),
      wrapText: true,
      width: 4,
    }),
    widget('dash-plant-questdb', 'ui-text', 'dash-g-plant', 6, 4, 0.5, {
      ...text('QuestDB'),
      wrapText: true,
      width: 8,
    }),
    widget('dash-oee-help', 'ui-markdown', 'dash-g-oee', 1, 1, 3, {
      name: 'OEE formulas',
      content: [
        '- **Availability** = run time / planned production time. Planned time is every state but MAINTENANCE',
        "  (planned downtime); the shares come from the machines' state samples.",
        '- **Performance** = parts made (good + scrap) / (ideal rate x run time); ideal rates (parts/min):',
        "  CNC 2, press 40, pump 10 (the questdb-query node's *ideal rates* setting).",
        '- **Quality** = good parts / parts made. **OEE** = availability x performance x quality.',
        '- The shift is the current one (06-14, 14-22, 22-06 UTC); the other columns cover the last hour.',
        '- **Health** = mean data quality (q) x share of time not in ERROR, last hour.',
      ].join('\n'),
    }),
  ];
}

/** An inject that sends `payload` once, just after a deploy: the defaults the Machine page's dropdowns show. */
const showAtStart = (id, row, name, payload, wires) =>
  node(
    id,
    'inject',
    0,
    row,
    {
      name,
      props: [{ p: 'payload' }],
      repeat: '',
      crontab: '',
      once: true,
      onceDelay: 0.5,
      topic: '',
      payload,
      payloadType: 'str',
    },
    [wires],
  );

function machine() {
  const options = MACHINES.map(({ line, machine: name }) => [`${line}/${name}`, `${line} / ${name}`]);
  const chartFor = Object.fromEntries(CHARTS.flatMap((c, i) => c.metrics.map((metric) => [metric, i])));
  const defaults = { machine: options[0][0], window: '60' };
  // A value as its chart draws it: a code as its name, a scaled value to 0.1.
  const names = Object.fromEntries(
    CHARTS.flatMap((c) => (c.names ? c.metrics.map((m) => [m, c.names]) : [])),
  );
  const scales = Object.fromEntries(
    CHARTS.flatMap((c) => (c.scale ? c.metrics.map((m) => [m, c.scale]) : [])),
  );
  const yOf =
    `((names, scales) => (metric, value) => names[metric] ? (names[metric][value - 1] ?? null) : scales[metric] ? ` +
    `Math.round(value * scales[metric] * 10) / 10 : value)(${JSON.stringify(names)}, ${JSON.stringify(scales)})`;
  return [
    page('dash-page-machine', 'Machine', '/machine', 'chart-line', 2),
    group('dash-g-pick', 'dash-page-machine', 'Machine', 12, 1),
    group('dash-g-charts', 'dash-page-machine', 'Every metric: history from QuestDB, then live', 12, 2),
    widget(
      'dash-pick-machine',
      'ui-dropdown',
      'dash-g-pick',
      1,
      1,
      8,
      { ...dropdown('Machine', options, 'machine'), width: 6 },
      [['dash-machine-views']],
    ),
    widget(
      'dash-pick-window',
      'ui-dropdown',
      'dash-g-pick',
      2,
      1,
      9,
      {
        ...dropdown(
          'Window',
          WINDOWS.map(([value, label]) => [value, label]),
          'window',
        ),
        width: 6,
      },
      [['dash-machine-views']],
    ),
    node('dash-page-views', 'ui-event', 1, 10, { ui: 'dash-ui', name: 'page views' }, [
      ['dash-machine-views'],
    ]),
    // A tab that closes or reloads is forgotten (a reload is a new tab to the dashboard: it starts on the defaults).
    node(
      'dash-clients',
      'ui-control',
      1,
      11,
      { ui: 'dash-ui', name: 'tabs come and go', events: 'connect' },
      [['dash-machine-views']],
    ),
    // What a tab that has chosen nothing yet shows: every message without msg._client reaches every tab.
    showAtStart('dash-machine-defaults', 8, 'first machine', defaults.machine, ['dash-pick-machine']),
    showAtStart('dash-window-default', 9, '1 hour', defaults.window, ['dash-pick-window']),
    fn(
      'dash-machine-views',
      2,
      9.5,
      "each tab's choice",
      [
        "// Each browser tab's own machine and window: Dashboard 2.0 tells which tab a message came from",
        '// (msg._client.socketId), and a message carrying it reaches that tab only (ui-chart and ui-dropdown are in',
        "// the ui-base's acceptsClientConfig). The choices are kept by tab in flow.machineViews, with whether the tab",
        '// shows the Machine page now; its history is queried on each view and choice, for it alone.',
        `const defaults = ${JSON.stringify(defaults)};`,
        `const machines = ${JSON.stringify(options.map(([value]) => value))};`,
        `const windows = ${JSON.stringify(Object.fromEntries(WINDOWS.map(([minutes, , bucket]) => [minutes, bucket])))};`,
        "const views = flow.get('machineViews') || {};",
        'const socketId = msg._client && msg._client.socketId;',
        'if (!socketId) return null;',
        "if (msg.payload === 'lost') {",
        '  delete views[socketId];',
        "  flow.set('machineViews', views);",
        '  return null;',
        '}',
        "const onMachinePage = msg.payload && msg.payload.page && msg.payload.page.id === 'dash-page-machine';",
        'const view = views[socketId] || { ...defaults, viewing: false };',
        "const chose = (msg.topic === 'machine' && machines.includes(msg.payload)) || (msg.topic === 'window' && windows[msg.payload]);",
        '// Its live points are averaged into the buckets of its history (dash-live-split): they start afresh with it.',
        "if (msg.topic === '$pageview' && onMachinePage) Object.assign(view, { viewing: true, buckets: {} });",
        "else if (msg.topic === '$pageview' || (msg.topic === '$pageleave' && onMachinePage)) view.viewing = false;",
        'else if (chose) Object.assign(view, { [msg.topic]: msg.payload, viewing: true, buckets: {} });',
        'else return null;',
        'views[socketId] = view;',
        "flow.set('machineViews', views);",
        'if (!view.viewing) return null;',
        'const to = { socketId };',
        "const [line, machine] = view.machine.split('/');",
        'const history = {',
        '  _client: to,',
        "  params: { tenant: env.get('TENANT'), plant: env.get('PLANT'), line, machine, minutes: Number(view.window), bucket: windows[view.window] },",
        '};',
        "if (msg.topic !== '$pageview') return [history, null, null];",
        '// A tab coming back to the page shows its own choice again (its dropdowns are drawn with the defaults). A',
        '// page view comes as the page starts to draw: half a second later, its widgets are there to listen.',
        'setTimeout(() => node.send([history, { payload: view.machine, _client: to }, { payload: view.window, _client: to }]), 500);',
        'return null;',
      ],
      3,
      [['dash-history-query'], ['dash-pick-machine'], ['dash-pick-window']],
    ),
    query('dash-history-query', 3, 9, { name: 'series', mode: 'series' }, ['dash-history-retry']),
    fn(
      'dash-history-split',
      4,
      9.5,
      'to charts',
      [
        '// One message per chart, for the tab that asked: its metrics as {series, x, y}, replacing what the chart',
        '// held. A series sent only when it changes holds its last value until now (one point alone would stretch',
        '// the time axis over days). An answer to a choice the tab has changed since is dropped.',
        "const view = (flow.get('machineViews') || {})[msg._client && msg._client.socketId];",
        'const p = msg.params;',
        'if (view && (view.machine !== `${p.line}/${p.machine}` || Number(view.window) !== p.minutes)) return null;',
        `const chartFor = ${JSON.stringify(chartFor)};`,
        `const held = ${JSON.stringify(CHARTS.filter((c) => c.onChange).flatMap((c) => c.metrics))};`,
        `const lastValue = ${JSON.stringify(CHARTS.filter((c) => c.lastValue).flatMap((c) => c.metrics))};`,
        `const y = ${yOf};`,
        `const out = Array.from({ length: ${CHARTS.length} }, () => []);`,
        'const last = {};',
        'const now = Date.now();',
        `const size = ${JSON.stringify(Object.fromEntries(WINDOWS.map(([, , bucket]) => [bucket, bucketMs(bucket)])))}[p.bucket] || 0;`,
        'for (const row of msg.payload) {',
        '  const i = chartFor[row.metric];',
        '  if (i === undefined) continue;',
        '  const point = { series: row.metric, x: Date.parse(row.ts), y: y(row.metric, lastValue.includes(row.metric) ? row.last : row.value) };',
        "  // The bucket under way is the live points' to draw, once it is over (a mean of part of it is another value).",
        '  if (!held.includes(row.metric) && point.x + size > now) continue;',
        '  out[i].push(point);',
        '  if (!last[row.metric] || point.x > last[row.metric].x) last[row.metric] = point;',
        '}',
        'for (const metric of held) {',
        '  const point = last[metric];',
        '  if (point && point.x < now) out[chartFor[metric]].push({ ...point, x: now });',
        '}',
        "return out.map((points) => ({ payload: points, action: 'replace', _client: msg._client }));",
      ],
      CHARTS.length,
      CHARTS.map((c) => [c.id]),
    ),
    subscribe('dash-live', 3, 13, 'live points', variable('POINTS_TOPIC'), ['dash-live-split']),
    fn(
      'dash-live-split',
      4,
      13,
      'live to charts',
      [
        '// Each live point to the tabs that show its machine on the Machine page now. A sampled series is averaged',
        "// into the buckets the tab's history is drawn with (10 s to 10 min, by its window), each sent once it is",
        '// over: the line goes on as the history drew it, not spiky with raw 2 s points. A code (the state) is its',
        "// bucket's last value, as in the history; a series sent only on change (the remaining life) comes as it is.",
        `const chartFor = ${JSON.stringify(chartFor)};`,
        `const held = ${JSON.stringify(CHARTS.filter((c) => c.onChange).flatMap((c) => c.metrics))};`,
        `const lastValue = ${JSON.stringify(CHARTS.filter((c) => c.lastValue).flatMap((c) => c.metrics))};`,
        `const bucketMs = ${JSON.stringify(Object.fromEntries(WINDOWS.map(([minutes, , bucket]) => [minutes, bucketMs(bucket)])))};`,
        `const y = ${yOf};`,
        'const p = msg.payload;',
        'const i = chartFor[p.metric];',
        'if (i === undefined) return null;',
        'const machine = `${p.line}/${p.machine}`;',
        "const ts = typeof p.ts === 'number' ? p.ts : Date.parse(p.ts);",
        "const views = flow.get('machineViews') || {};",
        'const points = [];',
        'for (const [socketId, view] of Object.entries(views)) {',
        '  if (!view.viewing || view.machine !== machine) continue;',
        '  const _client = { socketId };',
        '  if (held.includes(p.metric)) {',
        '    points.push({ payload: { series: p.metric, x: ts, y: y(p.metric, p.value) }, _client });',
        '    continue;',
        '  }',
        '  const size = bucketMs[view.window] || 30000;',
        '  const start = Math.floor(ts / size) * size;',
        '  const buckets = view.buckets || (view.buckets = {});',
        '  const b = buckets[p.metric];',
        '  if (b && start < b.start) continue; // late: its bucket has been drawn',
        '  if (b && start === b.start) {',
        '    Object.assign(b, { sum: b.sum + p.value, n: b.n + 1, last: p.value });',
        '    continue;',
        '  }',
        '  if (b) {',
        '    const value = lastValue.includes(p.metric) ? b.last : b.sum / b.n;',
        '    points.push({ payload: { series: p.metric, x: b.start, y: y(p.metric, value) }, _client });',
        '  }',
        '  buckets[p.metric] = { start, sum: p.value, n: 1, last: p.value };',
        '}',
        'if (points.length === 0) return null;',
        `const out = new Array(${CHARTS.length}).fill(null);`,
        'out[i] = points;',
        'return out;',
      ],
      CHARTS.length,
      CHARTS.map((c) => [c.id]),
    ),
    ...CHARTS.map((c, i) =>
      widget(
        c.id,
        'ui-chart',
        'dash-g-charts',
        i + 1,
        6,
        8 + i,
        // 6 rows: in 4, the axes' labels overlapped. A legend only where a chart has more than one series.
        chart(c.label, {
          height: 6,
          legend: c.metrics.length > 1,
          interpolation: c.interpolation ?? 'linear',
          ymin: c.ymin ?? '',
          ymax: c.ymax ?? '',
          yStep: c.yStep,
          categories: c.names,
        }),
      ),
    ),
  ];
}

/**
 * The Machine page's history query, asked again every 5 s while QuestDB is unreachable (an empty answer with
 * statusCode 503, which would also blank the charts): a page opened during an outage gets its history once QuestDB
 * is back, not only at the next dropdown change. Only the newest request is retried.
 */
function historyRetry() {
  return [
    fn(
      'dash-history-retry',
      4.5,
      10.5,
      'until QuestDB answers',
      [
        "// Each tab's newest request only (a tab that chose again meanwhile wants the new one).",
        "const tab = (msg._client && msg._client.socketId) || '';",
        "const requests = context.get('requests') || {};",
        'const request = (requests[tab] || 0) + 1;',
        'if (msg.statusCode !== 503) {',
        '  delete requests[tab];',
        "  context.set('requests', requests);",
        '  return [msg, null];',
        '}',
        'requests[tab] = request;',
        "context.set('requests', requests);",
        'delete msg.statusCode;',
        "setTimeout(() => (context.get('requests') || {})[tab] === request && node.send([null, msg]), 5000);",
        'return null;',
      ],
      2,
      [['dash-history-split'], ['dash-history-query']],
    ),
  ];
}

function alarms() {
  const recent = (id, row, kind, wires) => [
    plantParams(`${id}-params`, 1, row, `{"kind": "${kind}"}`, [`${id}-query`]),
    query(
      `${id}-query`,
      2,
      row,
      { name: `recent ${kind} events`, mode: 'events', table: 'plantwire_events', minutes: '1440' },
      [`${id}-answered`],
    ),
    answered(`${id}-answered`, 3, row, [`${id}-times`], `${id}-questdb`),
    utcTimes(`${id}-times`, 4, row, 'ts', wires, ['value']),
  ];
  return [
    page('dash-page-alarms', 'Alarms', '/alarms', 'bell-alert', 3),
    group('dash-g-active', 'dash-page-alarms', 'Active alarms (at the edge, live)', 12, 1),
    // Full width: side by side, half a tablet's width cut their last columns off.
    group('dash-g-history', 'dash-page-alarms', 'Alarm history', 12, 2),
    group('dash-g-anomalies', 'dash-page-alarms', 'Anomalies', 12, 3),
    subscribe('dash-alarm-list', 0, 18, 'alarm list', variable('ALARMS_TOPIC'), [
      'dash-active',
      'dash-alarm-count',
    ]),
    widget(
      'dash-active',
      'ui-template',
      'dash-g-active',
      1,
      1,
      18,
      template('active alarms', source('active-alarms.vue')),
      [['dash-alarm-commands']],
    ),
    commands('dash-alarm-commands', 2, 18),
    // A command the edge refused (an alarm gone since a rule changed, say): said on screen, not lost in a log.
    subscribe('dash-alarm-refusals', 0, 21.75, 'refused commands', variable('ALARM_REFUSALS_TOPIC'), [
      'dash-alarm-refusal-text',
    ]),
    node(
      'dash-alarm-refusal-text',
      'change',
      1,
      21.75,
      {
        name: 'say why',
        rules: [
          set(
            'payload',
            '"The edge refused " & payload.command & " " & payload.alarm & ": " & payload.error',
          ),
        ],
      },
      [['dash-alarm-refusal-notice']],
    ),
    node(
      'dash-alarm-refusal-notice',
      'ui-notification',
      2,
      21.75,
      notification('refused command', '#b71c1c', 8),
    ),
    node(
      'dash-alarm-count',
      'change',
      1,
      19,
      {
        name: 'count active, unacknowledged',
        // Active (acknowledged or not), and to acknowledge (active or cleared, rtn-unack): "0 active" alone hid the
        // cleared alarms that wait on the Alarms page for their ack. Shelved, suppressed or out-of-service ones are
        // neither.
        rules: [
          set(
            'payload',
            '$string($count(payload[state in ["active-unack", "active-ack"]])) & " active, " & ' +
              '$string($count(payload[state in ["active-unack", "rtn-unack"]])) & " to acknowledge"',
          ),
        ],
      },
      [['dash-plant-alarms']],
    ),
    every('dash-events-tick', 0, 20.5, 5, ['dash-alarm-history-params', 'dash-anomaly-history-params']),
    ...recent('dash-alarm-history', 20, 'alarm', ['dash-alarm-history']),
    ...recent('dash-anomaly-history', 21, 'anomaly', ['dash-anomaly-history']),
    widget(
      'dash-alarm-history',
      'ui-table',
      'dash-g-history',
      2,
      4,
      20,
      table('alarm history', [
        ['Time (UTC)', 'ts'],
        ['Alarm', 'name'],
        ['State', 'state'],
        ['Priority', 'priority'],
        ['Value', 'value'],
      ]),
    ),
    widget('dash-alarm-history-questdb', 'ui-text', 'dash-g-history', 1, 5, 20, text('QuestDB')),
    widget('dash-anomaly-history-questdb', 'ui-text', 'dash-g-anomalies', 1, 5, 21, text('QuestDB')),
    widget(
      'dash-anomaly-history',
      'ui-table',
      'dash-g-anomalies',
      2,
      4,
      21,
      table('anomalies', [
        ['Time (UTC)', 'ts'],
        ['Line', 'line'],
        ['Machine', 'machine'],
        ['Metric', 'name'],
        ['Value', 'value'],
        ['Why', 'message'],
      ]),
    ),
  ];
}

function edgeHealth() {
  return [
    page('dash-page-edge', 'Edge health', '/edge', 'server-network', 4),
    group('dash-g-buffer', 'dash-page-edge', 'Store-and-forward at the edge', 12, 1),
    group('dash-g-depth', 'dash-page-edge', 'Buffer depth', 12, 2),
    subscribe('dash-edge-stats', 0, 24, 'edge buffers', variable('EDGE_TOPICS'), ['dash-edge-view']),
    subscribe('dash-edge-link', 0, 25, 'WAN link', variable('LINK_TOPIC'), [
      'dash-edge-view',
      'dash-network',
    ]),
    fn(
      'dash-edge-view',
      1,
      24,
      'edge view',
      [
        '// The latest figures of each store and the link state, as one message for the panel, and each',
        "// store's depth as a point for the chart. A store tells its latest error only, with no time, and keeps it",
        '// after the link is back: the time is when this flow saw it happen (the error changed, or the store tried',
        '// again and failed: its retries grew), and the error is past once the store has acked items since. An',
        "// error already there in a store's first figures (after a restart of this Node-RED) happened before then.",
        "const view = context.get('view') || { name: 'network outage', stores: {}, link: {} };",
        'const now = Date.now();',
        'if (msg.topic.endsWith("/link")) view.link = msg.payload;',
        'else {',
        '  const s = { ...msg.payload };',
        '  const was = view.stores[s.store];',
        '  if (!s.lastError) Object.assign(s, { errorAt: null, errorPast: false });',
        '  else if (!was) Object.assign(s, { errorAt: now, errorAtKnown: false, ackedAtError: s.acked, errorPast: s.ackedPerS > 0 });',
        '  else if (s.lastError !== was.lastError || s.retries > was.retries)',
        '    Object.assign(s, { errorAt: now, errorAtKnown: true, ackedAtError: s.acked, errorPast: false });',
        '  else',
        '    Object.assign(s, {',
        '      errorAt: was.errorAt,',
        '      errorAtKnown: was.errorAtKnown,',
        '      ackedAtError: was.ackedAtError,',
        '      errorPast: was.errorPast || s.acked > was.ackedAtError,',
        '    });',
        '  view.stores[s.store] = s;',
        '}',
        "context.set('view', view);",
        'const depth = msg.topic.endsWith("/link") ? null : { payload: { series: msg.payload.store, x: now, y: msg.payload.rows } };',
        'return [{ payload: view }, depth];',
      ],
      2,
      [['dash-edge-panel'], ['dash-edge-depth']],
    ),
    widget(
      'dash-edge-panel',
      'ui-template',
      'dash-g-buffer',
      1,
      2,
      23.5,
      template('buffer figures', source('edge-health.vue')),
    ),
    widget(
      'dash-edge-depth',
      'ui-chart',
      'dash-g-depth',
      1,
      2,
      24.5,
      chart('items waiting at the edge', { ymin: '0', width: 12, height: 6 }),
    ),
  ];
}

function faults() {
  const grid = source('faults.vue')
    .replace('__MACHINES__', JSON.stringify(MACHINES))
    .replace('__FAULTS__', JSON.stringify(FAULTS));
  return [
    page('dash-page-faults', 'Faults', '/faults', 'alert-octagon', 5),
    group('dash-g-network', 'dash-page-faults', 'Network outage', 12, 1),
    group('dash-g-faults', 'dash-page-faults', 'Inject a fault', 12, 2),
    widget(
      'dash-network',
      'ui-template',
      'dash-g-network',
      1,
      1,
      28,
      template('network outage', source('network.vue')),
      [['dash-fault-commands', 'dash-fault-sent']],
    ),
    widget('dash-faults', 'ui-template', 'dash-g-faults', 1, 1, 29, template('fault buttons', grid), [
      ['dash-fault-commands', 'dash-fault-sent'],
    ]),
    commands('dash-fault-commands', 2, 28.5),
    // Each click confirmed in the tab that clicked (msg._client): the command is on its way to the edge.
    node(
      'dash-fault-sent',
      'change',
      2,
      29.5,
      {
        name: 'say what was sent',
        rules: [
          set(
            'payload',
            [
              'payload.cmd = "network_outage" ? (payload.value ? "Sent: cut the network." : "Sent: restore the network.") :',
              'payload.cmd = "clear" ? "Sent: clear every fault of " & payload.line & " / " & payload.machine & "." :',
              '"Sent: start " & $replace(payload.cmd, "_", " ") & " on " & payload.line & " / " & payload.machine &',
              '". It shows as running here once the edge reports it (a few seconds)."',
            ].join(' '),
          ),
        ],
      },
      [['dash-fault-notice']],
    ),
    node('dash-fault-notice', 'ui-notification', 3, 29.5, notification('command sent', '#2e7d32', 5)),
    // The faults running now: each machine's fault whose newest event (machine-sim's start and end, which the
    // edge sends to the cloud with the other events) is a start.
    every('dash-faults-tick', 0, 30.5, 5, ['dash-faults-params']),
    plantParams('dash-faults-params', 1, 30.5, '{"kind": "fault"}', ['dash-faults-query']),
    query(
      'dash-faults-query',
      2,
      30.5,
      { name: 'fault events', mode: 'events', table: 'plantwire_events', minutes: '1440' },
      ['dash-faults-running'],
    ),
    fn(
      'dash-faults-running',
      3,
      30.5,
      'running faults',
      [
        "// Newest first (the events preset's order): a machine's fault runs if its newest event is a start.",
        'const running = {};',
        'const seen = new Set();',
        'for (const e of Array.isArray(msg.payload) ? msg.payload : []) {',
        '  if (!e.machine) continue; // a network outage: the page says the link state above',
        '  const machine = `${e.line}/${e.machine}`;',
        '  const key = `${machine} ${e.name}`;',
        '  if (seen.has(key)) continue;',
        '  seen.add(key);',
        "  if (e.state === 'start') (running[machine] = running[machine] || {})[e.name] = e.ts;",
        '}',
        'return { payload: { running, updated: Date.now() } };',
      ],
      1,
      [['dash-faults']],
    ),
  ];
}

function architecture() {
  return [
    page('dash-page-architecture', 'Architecture', '/architecture', 'sitemap', 6),
    group('dash-g-architecture', 'dash-page-architecture', 'The data flow', 12, 1),
    widget('dash-architecture', 'ui-markdown', 'dash-g-architecture', 1, 1, 31, {
      name: 'architecture',
      content: source('architecture.md'),
    }),
  ];
}

export function dashboard() {
  return [
    tab(
      z,
      'Dashboard',
      'Dashboard 2.0 at /dashboard: Overview (OEE, energy, scrap, health per machine), Machine (every metric, ' +
        'history from QuestDB then live), Alarms (active alarms with ack and shelve, history, anomalies), Edge health ' +
        '(the edge buffer), Faults (inject faults and a network outage) and Architecture. Queries are scoped to ' +
        `PLANTWIRE_TENANT (default ${TENANT}); the live data and commands are the plant PLANTWIRE_PLANT's (default ` +
        `${PLANT}) of that tenant, on v1/{tenant}/{plant}/... of the plant broker. Addresses: PLANTWIRE_QUESTDB_URL, ` +
        'PLANTWIRE_MQTT_HOST, PLANTWIRE_MQTT_PORT.',
      { QUESTDB_URL: 'http://127.0.0.1:9000', MQTT_HOST: '127.0.0.1', MQTT_PORT: '1883', TENANT, PLANT },
      {
        ...topicVariables(
          'POINTS_TOPIC',
          'COMMAND_TOPIC',
          'ALARMS_TOPIC',
          'ALARM_REFUSALS_TOPIC',
          'EDGE_TOPICS',
          'LINK_TOPIC',
        ),
        PLANT_LABEL: 'Plant ${TENANT} / ${PLANT}',
      },
    ),
    ...base(),
    node('dash-style', 'ui-template', 6, 0, {
      name: 'table style',
      ui: 'dash-ui',
      group: '',
      page: '',
      order: 0,
      width: 0,
      height: 0,
      head: '',
      format: source('tables.css'),
      storeOutMessages: true,
      passthru: false,
      resendOnRefresh: true,
      templateScope: 'site:style',
      className: '',
    }),
    questdb('dash-db', z),
    broker('dash-broker', z, 'plant broker'),
    comment('dash-about-overview', 0.8, 0, 'Overview: KPIs from QuestDB every 5 s'),
    comment('dash-about-machine', 0.8, 7, 'Machine: history from QuestDB on each view or choice, then live'),
    comment('dash-about-alarms', 0.8, 17, "Alarms: the edge's list, live; history from QuestDB"),
    comment('dash-about-edge', 0.8, 22.5, 'Edge health: the buffer figures the edge publishes'),
    comment('dash-about-faults', 0.8, 27, 'Faults and the network outage: commands to the edge'),
    ...overview(),
    ...machine(),
    ...historyRetry(),
    ...alarms(),
    ...edgeHealth(),
    ...faults(),
    ...architecture(),
  ];
}
