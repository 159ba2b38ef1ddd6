// flows/edge-agent.json: the shop-floor Node-RED. The simulated plant publishes every point to the plant broker
// and sends points and events to the cloud through durable store-and-forward; alarms and anomaly detection run
// here, next to the machines.
import {
  ALARM_COMMANDS,
  GAUGES,
  NOT_JSON,
  PLANT,
  TENANT,
  TOPIC_VARIABLES,
  broker,
  commentsOf,
  functionsOf,
  jsonBody,
  nodesOf,
  oneOf,
  publish,
  remove,
  set,
  subscription,
  tab,
  topicVariables,
  variable,
} from './plant.mjs';

const z = 'edge';
const node = nodesOf(z);
const comment = commentsOf(z);
const fn = functionsOf(z);
/** A link out to one link in: a buffer's figures travel to the figures section without a wire across the tab. */
const linkOut = (id, col, row, name, target) =>
  node(id, 'link out', col, row, { name, mode: 'link', links: [target] });

/** Thresholds that fit machine-sim's ranges (normal running peaks: CNC 59 degC, press 52, pump 55; vibration under 5). */
export const ALARM_RULES = [
  {
    name: 'temp-high-cnc',
    match: 'cnc-*/temperature',
    mode: 'above',
    warning: 64,
    critical: 70,
    deadband: 2,
    onDelayS: 10,
  },
  // One rule per type: a pattern for every temperature would raise its lower limits on CNCs too.
  ...['press', 'pump'].map((type) => ({
    name: `temp-high-${type}`,
    match: `${type}-*/temperature`,
    mode: 'above',
    warning: 60,
    critical: 66,
    deadband: 2,
    onDelayS: 10,
  })),
  {
    name: 'vibration-high',
    match: 'vibration',
    mode: 'above',
    warning: 6,
    critical: 9,
    deadband: 0.5,
    onDelayS: 4,
  },
  { name: 'power-high-cnc', match: 'cnc-*/power', mode: 'above', warning: 20, critical: 30, onDelayS: 4 },
  { name: 'power-high-press', match: 'press-*/power', mode: 'above', warning: 40, critical: 60, onDelayS: 4 },
  { name: 'power-high-pump', match: 'pump-*/power', mode: 'above', warning: 15, critical: 22, onDelayS: 4 },
  // The forecast's early warnings: seconds until a machine's vibration reaches its failure limit.
  {
    name: 'remaining-life',
    match: 'vibration_rul',
    mode: 'below',
    warning: 3600,
    critical: 900,
    deadband: 60,
  },
];

/**
 * Vibration at which a machine fails, per type: a little below where a worn tool breaks, 2.5 mm/s above its
 * healthy running level (CNC 2.2, press 4, pump 2 mm/s).
 */
const FAILURE_LIMITS = { 'cnc-*/vibration': 4.5, 'press-*/vibration': 6, 'pump-*/vibration': 4.3 };

/** Remaining life counts running time: the vibration of machines running for 5 minutes or more. */
const RUNNING_VIBRATION = [
  '// Idle, setup and error spells are known from the state metric and wear nothing; after a start a machine',
  '// settles for 5 minutes. A machine first seen running counts as settled.',
  'const RUNNING = 1;',
  "const states = context.get('states') || {};",
  'for (const p of msg.payload) {',
  "  if (p.metric !== 'state') continue;",
  "  const key = p.line + '/' + p.machine;",
  '  const known = states[key];',
  '  states[key] = { code: p.value, since: !known ? 0 : known.code === p.value ? known.since : p.ts };',
  '}',
  "context.set('states', states);",
  'msg.payload = msg.payload.filter((p) => {',
  "  const state = states[p.line + '/' + p.machine];",
  "  return p.metric === 'vibration' && state?.code === RUNNING && p.ts - state.since >= 300000;",
  '});',
  'return msg.payload.length > 0 ? msg : null;',
];

/** The two durable paths to the cloud share their settings; only the store, the order and the endpoint differ. */
export function toCloud(prefix, col, row, { store, order, endpoint, label }) {
  const buffer = `${prefix}-buffer`;
  return [
    node(
      buffer,
      'store-forward',
      col,
      row,
      {
        name: label,
        storeName: store,
        directory: '',
        synchronous: 'FULL',
        maxRows: '10000000',
        maxMB: '2048',
        maxAgeHours: '0',
        fullPolicy: 'drop-oldest',
        minFreeMB: '64',
        // Big batches and four in flight: a backlog after an outage drains at the cloud's speed, not the link's
        // round trip (docs/performance.md: backfill_1m_s).
        batchRows: '5000',
        batchKB: '4096',
        maxWaitMs: '200',
        window: '4',
        order,
        // The http request sends the stored JSON as it is: no parse and stringify of every batch.
        batchPayload: 'json',
        ackTimeoutS: '30',
        // A refused link is probed every base delay (it costs the cloud nothing): live data resumes within about
        // half a second of the link coming back.
        backoffBaseS: '0.5',
        backoffMaxS: '5',
        statsIntervalS: '2',
      },
      [[`${prefix}-url`], [`${prefix}-figures`]],
    ),
    node(
      `${prefix}-url`,
      'change',
      col + 1,
      row,
      { name: endpoint, rules: [set('url', `$env("CLOUD_URL") & "${endpoint}"`)] },
      [[`${prefix}-post`]],
    ),
    node(
      `${prefix}-post`,
      'http request',
      col + 2,
      row,
      {
        name: `POST ${endpoint}`,
        method: 'POST',
        ret: 'txt',
        paytoqs: 'ignore',
        url: '',
        tls: '',
        persist: true,
        proxy: '',
        insecureHTTPParser: false,
        authType: 'bearer',
        // A failed request's answer reaches the buffer once, through the Catch node below: with senderr off the
        // node would also pass it on, and the buffer would count each failure twice.
        senderr: true,
        headers: [{ keyType: 'Content-Type', keyValue: '', valueType: 'application/json', valueValue: '' }],
      },
      [[buffer]],
    ),
    linkOut(`${prefix}-figures`, col + 0.6, row + 1, 'buffer figures', 'edge-figures'),
    node(
      `${prefix}-failed`,
      'catch',
      col + 2,
      row + 1,
      { name: 'request failed', scope: [`${prefix}-post`], uncaught: false },
      [[buffer]],
    ),
  ];
}

export function edgeAgent() {
  return [
    tab(
      z,
      'Edge agent',
      `The shop floor of plant PLANTWIRE_PLANT of tenant PLANTWIRE_TENANT (defaults ${PLANT}, ${TENANT}): ` +
        `machine-sim runs 3 lines x 3 machines, every point goes to the plant broker ` +
        `(v1/{tenant}/{plant}/{line}/{machine}/{metric}) and, durably, to the cloud: store-forward keeps points and ` +
        `events on disk until the cloud's /ingest answers 2xx, and backfills in order after an outage while live ` +
        `data goes first.\n\nthreshold-alarm, anomaly-detect and forecast run here: forecast tells each running ` +
        `machine's remaining life until its vibration limit, and threshold-alarm raises remaining-life under an hour. ` +
        `The alarm and anomaly events and the simulator's state ` +
        `and fault events go to the cloud's /ingest/events the same durable way. Commands arrive on v1/{tenant}/{plant}/cmd: ` +
        `faults such as {"cmd":"bearing_fault","value":true,"machine":"cnc-01","line":"line-01"} go to machine-sim, ` +
        `alarm commands such as {"cmd":"ack","alarm":"<id>"} to threshold-alarm.\n\n` +
        `Addresses come from the environment: PLANTWIRE_MQTT_HOST, PLANTWIRE_MQTT_PORT and PLANTWIRE_CLOUD_URL ` +
        `(defaults 127.0.0.1, 1883, http://127.0.0.1:1881). The ingest token is the bearer token of both POST nodes ` +
        `(credentials: never in an exported flow).`,
      { MQTT_HOST: '127.0.0.1', MQTT_PORT: '1883', CLOUD_URL: 'http://127.0.0.1:1881', TENANT, PLANT },
      topicVariables('COMMAND_TOPIC', 'ALARMS_TOPIC', 'ALARM_REFUSALS_TOPIC', 'EDGE_TOPIC'),
    ),
    broker('edge-broker', z, 'plant broker'),
    comment('edge-about-plant', 0.8, 1, 'The plant and the commands that reach it'),
    comment('edge-about-cloud', 3, 1, 'Points to the cloud: on disk until the cloud answers 2xx'),
    comment('edge-about-rules', 3, 5, 'Alarms and anomaly detection, next to the machines'),
    comment('edge-about-events', 3, 9, 'Events to the cloud, the same durable way'),
    comment('edge-about-figures', 3, 12, 'Buffer figures for the dashboard, and GET /edge/status'),
    node(
      'edge-figures',
      'link in',
      3,
      13.5,
      { name: 'buffer figures', links: ['edge-points-figures', 'edge-events-figures'] },
      [['edge-stats-topic', 'edge-status']],
    ),

    // The plant, every 2 s; its points fan out to the cloud, the broker, the alarms and the detector.
    node(
      'edge-sim',
      'machine-sim',
      2,
      2,
      {
        name: 'the plant',
        tenant: variable('TENANT'),
        plant: variable('PLANT'),
        lines: '3',
        machinesPerLine: '3',
        machineTypes: 'cnc,press,pump',
        interval: '2',
        seed: '',
        output: 'array',
        autostart: true,
        dwellRunning: '1800',
        dwellIdle: '300',
        dwellSetup: '600',
        dwellError: '180',
        dwellMaintenance: '1200',
      },
      [['edge-points-buffer', 'edge-split', 'edge-alarms', 'edge-gauges', 'edge-running'], ['edge-tag'], []],
    ),
    // Points from other shop-floor systems (a gateway, a script): POST /edge/points with one point or an array is
    // answered once store-forward has committed them (its Complete, through edge status), or 503 with the reason.
    // A JSON body only (415 otherwise): what a web page can post without a CORS preflight is refused (see jsonBody).
    node(
      'edge-points-in',
      'http in',
      1,
      4,
      { name: 'POST /edge/points', url: '/edge/points', method: 'post', upload: false, swaggerDoc: '' },
      [['edge-points-json']],
    ),
    node('edge-points-json', 'switch', 2, 3, jsonBody(), [['edge-points-buffer'], ['edge-points-not-json']]),
    node(
      'edge-points-not-json',
      'change',
      2,
      4,
      {
        name: '415',
        rules: [set('statusCode', '415', 'num'), set('payload', `{"accepted": 0, "error": ${NOT_JSON}}`)],
      },
      [['edge-status-out']],
    ),
    node(
      'edge-points-refused',
      'catch',
      4,
      16,
      { name: 'points refused', scope: ['edge-points-buffer'], uncaught: false },
      [['edge-refusal']],
    ),
    fn(
      'edge-refusal',
      5,
      16,
      'refusal to POST /edge/points',
      [
        '// Only a POST /edge/points has someone waiting for the answer; nothing of its message was stored.',
        'if (!msg.res) return null;',
        "// store-forward's status for it: 400 (not points), 413 (more than the buffer holds), 503 (try again later).",
        'msg.statusCode = msg.statusCode || 503;',
        'msg.payload = { accepted: 0, error: msg.error.message };',
        'return msg;',
      ],
      1,
      [['edge-status-out']],
    ),
    ...toCloud('edge-points', 3, 2, {
      store: 'edge-telemetry',
      order: 'live-first',
      endpoint: '/ingest',
      label: 'points to cloud',
    }),
    node(
      'edge-split',
      'split',
      3,
      4,
      {
        name: 'one per point',
        splt: '\\n',
        spltType: 'str',
        arraySplt: 1,
        arraySpltType: 'len',
        stream: false,
        addname: '',
      },
      [['edge-topic']],
    ),
    node(
      'edge-topic',
      'change',
      4,
      4,
      {
        name: 'topic',
        rules: [
          set(
            'topic',
            '"v1/" & payload.tenant & "/" & payload.plant & "/" & payload.line & "/" & payload.machine & "/" & payload.metric',
          ),
        ],
      },
      [['edge-publish']],
    ),
    node(
      'edge-publish',
      'mqtt out',
      5,
      4,
      publish('edge-broker', 'v1/{tenant}/{plant}/{line}/{machine}/{metric}', ''),
    ),

    // Alarms and anomalies at the edge; their events join the simulator's on the durable event path.
    node(
      'edge-alarms',
      'threshold-alarm',
      3,
      6,
      {
        name: 'machine alarms',
        key: 'line/machine/metric',
        rules: JSON.stringify(ALARM_RULES, null, 2),
        chatterCount: '5',
        chatterWindowS: '60',
        chatterShelveMin: '30',
        floodCount: '10',
        floodWindowS: '600',
        maxShelveMin: '1440',
        maxSeries: '100000',
        stateName: 'plant-01-alarms',
      },
      [['edge-tag'], ['edge-alarm-list']],
    ),
    node(
      'edge-alarm-list-start',
      'inject',
      2,
      6,
      {
        name: 'publish the list at start',
        props: [{ p: 'control', v: '{"command":"list"}', vt: 'json' }],
        repeat: '',
        crontab: '',
        once: true,
        onceDelay: 2,
        topic: '',
      },
      [['edge-alarms']],
    ),
    node(
      'edge-alarm-list',
      'mqtt out',
      4,
      6,
      publish('edge-broker', 'alarm list (retained)', variable('ALARMS_TOPIC'), { qos: '1', retain: true }),
    ),
    // A refused command (an alarm id unknown since a rule changed, a shelve too long) goes back to whoever sent it:
    // the dashboard shows it; refused points only go to the log.
    node(
      'edge-alarm-refused',
      'catch',
      3,
      6.75,
      { name: 'refused', scope: ['edge-alarms'], uncaught: false },
      [['edge-alarm-refused-command']],
    ),
    node(
      'edge-alarm-refused-command',
      'switch',
      4,
      6.75,
      {
        name: 'a command?',
        property: 'control',
        propertyType: 'msg',
        rules: [{ t: 'nnull' }],
        checkall: 'true',
        repair: false,
        outputs: 1,
      },
      [['edge-alarm-refusal']],
    ),
    node(
      'edge-alarm-refusal',
      'change',
      5,
      6.75,
      {
        name: 'the refusal',
        rules: [
          set(
            'payload',
            '{"command": control.command, "alarm": control.alarm, "by": control.by, "error": $replace(error.message, /^(Error: )?threshold-alarm: /, "")}',
          ),
        ],
      },
      [['edge-alarm-refusal-publish']],
    ),
    node(
      'edge-alarm-refusal-publish',
      'mqtt out',
      6,
      6.75,
      publish('edge-broker', 'refused commands', variable('ALARM_REFUSALS_TOPIC'), { qos: '1' }),
    ),
    node(
      'edge-gauges',
      'change',
      3,
      7.5,
      { name: 'gauges only', rules: [set('payload', `[payload[metric in ${JSON.stringify(GAUGES)}]]`)] },
      [['edge-anomaly']],
    ),
    node(
      'edge-anomaly',
      'anomaly-detect',
      4,
      7.5,
      {
        name: 'anomalies',
        // rarity at 0.65 on raw values (short mean off): on unseen simulator runs 89 of 90 bearing faults and 77 of
        // 80 tool wears found in time with under 2 false alarms per machine-day (packages/nodes-rules README; the
        // NAB-chosen 0.49 raises about 12 on plant gauges, and the short mean's levels flag the plant's ordinary load
        // changes: about 3 at 0.65).
        detector: 'rarity',
        threshold: '0.65',
        smoothing: '0',
        warmup: '',
        maxSeries: '10000',
        key: 'line/machine/metric',
      },
      [[], ['edge-tag']],
    ),
    fn('edge-running', 3, 8.25, 'vibration of running machines', RUNNING_VIBRATION, 1, [['edge-forecast']]),
    node(
      'edge-forecast',
      'forecast',
      4,
      8.25,
      {
        name: 'remaining life',
        key: 'line/machine/metric',
        seasonH: '24',
        slots: '288',
        horizonMin: '60',
        // Only the early warnings (output 2) are used here.
        steps: '1',
        coverage: '95',
        limits: JSON.stringify(FAILURE_LIMITS),
        warnH: '2',
        warmup: '30',
        maxSeries: '10000',
      },
      // Its early warnings are points too: to the alarms, and to the cloud and the broker as every point.
      [[], ['edge-alarms', 'edge-points-buffer', 'edge-split']],
    ),
    node(
      'edge-tag',
      'change',
      3,
      10,
      {
        name: 'plant',
        rules: [
          set(
            'payload',
            '[$map($append([], payload), function($e) { $merge([{"plant": $env("PLANT")}, $e]) })]',
          ),
        ],
      },
      [['edge-events-buffer']],
    ),
    ...toCloud('edge-events', 4, 10, {
      store: 'edge-events',
      order: 'fifo',
      endpoint: '/ingest/events',
      label: 'events to cloud',
    }),

    // Commands from the plant broker: alarm commands to threshold-alarm, the rest (faults) to machine-sim.
    node(
      'edge-commands',
      'mqtt in',
      0,
      2,
      subscription('edge-broker', TOPIC_VARIABLES.COMMAND_TOPIC, variable('COMMAND_TOPIC')),
      [['edge-route']],
    ),
    node('edge-route', 'switch', 1, 2, oneOf('alarm or fault', 'payload.cmd', ALARM_COMMANDS), [
      ['edge-alarm-command'],
      ['edge-sim'],
    ]),
    node(
      'edge-alarm-command',
      'change',
      1,
      3,
      {
        name: 'msg.control',
        rules: [
          // Only list means every alarm when none is named: an ack or a disable without an id is refused by
          // threshold-alarm, not applied to all.
          set(
            'control',
            '{"command": payload.cmd, "alarm": payload.cmd = "list" and $not($exists(payload.alarm)) ? "*" : payload.alarm, "minutes": payload.minutes, "by": payload.by}',
          ),
          remove('payload'),
        ],
      },
      [['edge-alarms']],
    ),

    // Buffer figures for the cloud's Edge health page, and GET /edge/status for scripts and tests.
    node(
      'edge-stats-topic',
      'change',
      4,
      13,
      { name: 'topic', rules: [set('topic', '$env("EDGE_TOPIC") & "/" & payload.store')] },
      [['edge-stats-publish']],
    ),
    node(
      'edge-stats-publish',
      'mqtt out',
      5,
      13,
      publish('edge-broker', 'buffer stats (retained)', '', { retain: true }),
    ),
    node(
      'edge-accepted',
      'complete',
      4,
      14,
      { name: 'points committed', scope: ['edge-points-buffer'], uncaught: false },
      [['edge-status']],
    ),
    node(
      'edge-status-in',
      'http in',
      4,
      15,
      { name: 'GET /edge/status', url: '/edge/status', method: 'get', upload: false, swaggerDoc: '' },
      [['edge-status']],
    ),
    fn(
      'edge-status',
      5,
      14.5,
      'edge status',
      [
        '// Points the telemetry buffer committed (its Complete fires only after the commit; acks carry msg.sf)',
        '// and the latest figures of each store, for GET /edge/status; a POST /edge/points is answered here.',
        "const status = context.get('status') || { accepted: 0, stores: {} };",
        "if (msg.topic === 'stats') status.stores[msg.payload.store] = msg.payload;",
        "const committed = msg.sf || (msg.req && msg.req.method !== 'POST') ? 0 : [].concat(msg.payload).length;",
        "if (msg.topic !== 'stats') status.accepted += committed;",
        "context.set('status', status);",
        'if (!msg.req) return null;',
        "msg.payload = msg.req.method === 'POST' ? { accepted: committed } : status;",
        'return msg;',
      ],
      1,
      [['edge-status-out']],
    ),
    node('edge-status-out', 'http response', 6, 15, { statusCode: '', headers: {} }),
  ];
}
