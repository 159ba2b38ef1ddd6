// flows/cloud-ingest.json: the cloud side. Points and events in over HTTP (bearer token per tenant), stored
// idempotently in QuestDB, and the reference API over questdb-query.
import {
  ALARM_COMMANDS,
  FAULTS,
  NOT_JSON,
  PLANT,
  TENANT,
  TOPIC_VARIABLES,
  broker,
  commentsOf,
  jsonBody,
  nodesOf,
  oneOf,
  publish,
  querying,
  questdb,
  set,
  subscription,
  tab,
  topicVariables,
  variable,
} from './plant.mjs';

/**
 * The largest body /ingest and /ingest/events take, in KiB (telemetry-validate's maxKB). `npm start` refuses a
 * larger body of any request to its Node-REDs before reading it (scripts/node-red-guards.cjs).
 */
export const INGEST_MAX_KB = 10_240;

const z = 'cloud';
const node = nodesOf(z);

const httpIn = (id, col, row, method, url, wires, more = {}) =>
  node(
    id,
    'http in',
    col,
    row,
    { name: `${method.toUpperCase()} ${url}`, url, method, upload: false, swaggerDoc: '', ...more },
    [wires],
  );
const comment = commentsOf(z);
const answer = (id, col, row) => node(id, 'http response', col, row, { statusCode: '', headers: {} });
const failWith = (id, col, row, status, payload, wires) =>
  node(
    id,
    'change',
    col,
    row,
    { name: String(status), rules: [set('statusCode', String(status), 'num'), set('payload', payload)] },
    [wires],
  );
const catchFrom = (id, col, row, scope, wires) =>
  node(id, 'catch', col, row, { name: 'failed', scope, uncaught: false }, [wires]);
const query = (id, col, row, props, wires) =>
  node(id, 'questdb-query', col, row, querying('cloud-db', props), [wires]);

/** POST path -> telemetry-validate -> questdb-write -> answer; QuestDB down answers 503 so the edge retries. */
function ingest(prefix, row, { url, mode, table }) {
  return [
    // The body goes to telemetry-validate unparsed (Node-RED 4.1+): broken JSON, a wrong charset or content type
    // then get its JSON answer with a reason instead of the runtime's HTML error page.
    httpIn(`${prefix}-in`, 0, row, 'post', url, [`${prefix}-validate`], { skipBodyParsing: true }),
    node(
      `${prefix}-validate`,
      'telemetry-validate',
      1,
      row,
      { mode, maxPoints: '10000', maxKB: String(INGEST_MAX_KB), plant: '', line: '', arrivalTime: false },
      [[`${prefix}-write`], [`${prefix}-response`]],
    ),
    node(
      `${prefix}-write`,
      'questdb-write',
      2,
      row,
      {
        server: 'cloud-db',
        // The validate node's http mode takes points; the write node stores them as telemetry.
        mode: mode === 'events' ? 'events' : 'telemetry',
        timestampField: 'ts',
        symbols: '',
        table,
        partitionBy: 'DAY',
        ttlDays: '0',
      },
      [[`${prefix}-answer`], [`${prefix}-refused`]],
    ),
    // Points QuestDB refused after validation (a column of another type, say): logged, so none goes unseen.
    node(
      `${prefix}-refused`,
      'debug',
      4,
      row + 1,
      {
        name: 'refused by QuestDB',
        active: true,
        tosidebar: true,
        console: true,
        tostatus: true,
        complete: 'payload',
        targetType: 'msg',
        statusVal: '$count(payload) & " refused"',
        statusType: 'jsonata',
      },
      [],
    ),
    node(
      `${prefix}-answer`,
      'change',
      3,
      row,
      {
        name: 'answer and count',
        rules: [
          set('payload', '{"accepted": questdb.written, "rejected": ingest.rejected}'),
          set(`${prefix}_requests`, `$flowContext("${prefix}_requests") + 1`, 'jsonata', 'flow'),
          set(
            `${prefix}_accepted`,
            `$flowContext("${prefix}_accepted") + questdb.written`,
            'jsonata',
            'flow',
          ),
        ],
      },
      [[`${prefix}-response`]],
    ),
    catchFrom(`${prefix}-failed`, 2, row + 1, [`${prefix}-write`], [`${prefix}-unavailable`]),
    failWith(`${prefix}-unavailable`, 3, row + 1, 503, '{"accepted": 0, "error": error.message}', [
      `${prefix}-response`,
    ]),
    answer(`${prefix}-response`, 4, row),
  ];
}

export function cloudIngest() {
  return [
    tab(
      z,
      'Cloud ingest',
      `POST /ingest takes Plantwire points (an array, or one point) with a bearer token; POST /ingest/events takes ` +
        `plant events (threshold-alarm and anomaly-detect events, machine-sim state and fault events). ` +
        `telemetry-validate maps the token to its tenant and checks every item; questdb-write stores the valid ones ` +
        `idempotently (plantwire_telemetry and plantwire_events, deduplicated on ts and id). The answer is ` +
        `{accepted, rejected: [{index, reason}]} with 200, 400 / 401 / 403 / 413 when nothing was accepted, or 503 ` +
        `while QuestDB is unavailable (the edge's store-forward retries).\n\n` +
        `The API: GET /api/health, /api/stats, /api/kpis?plant=&line= (the last hour and the current shift), /api/series?plant=&line=&machine=&metric=&bucket=&minutes= ` +
        `(503 and [] while QuestDB is unavailable), ` +
        `POST /api/fault/{cmd} (JSON body: line, machine, value, ...) and POST /api/alarm/{cmd} (alarm, minutes, by), ` +
        `which publish the command to the edge on v1/{tenant}/{plant}/cmd. They take Content-Type application/json ` +
        `only and answer anything else 415 (a form or text/plain is what a web page can post without a CORS preflight).\n\n` +
        `Tokens (one "token tenant" per line) are credentials of the two telemetry-validate nodes. Addresses: ` +
        `PLANTWIRE_QUESTDB_URL, PLANTWIRE_MQTT_HOST, PLANTWIRE_MQTT_PORT. PLANTWIRE_TENANT (default ${TENANT}) ` +
        `scopes the API; with PLANTWIRE_PLANT (default ${PLANT}) it names the plant whose topics ` +
        `v1/{tenant}/{plant}/... the cloud reads and commands.`,
      { QUESTDB_URL: 'http://127.0.0.1:9000', MQTT_HOST: '127.0.0.1', MQTT_PORT: '1883', TENANT, PLANT },
      topicVariables('COMMAND_TOPIC', 'EDGE_TOPICS', 'LINK_TOPIC'),
    ),
    questdb('cloud-db', z),
    broker('cloud-broker', z, 'plant broker'),
    comment('cloud-about-ingest', 2.5, 0, 'Points and events in: token, validation, idempotent writes'),
    comment('cloud-about-api', 2.5, 5.5, 'The API over QuestDB, and commands to the edge'),
    comment(
      'cloud-about-edge',
      2.8,
      10.5,
      'The edge buffers and the WAN link, as the plant broker reports them',
    ),
    node(
      'cloud-init',
      'inject',
      0,
      0,
      {
        name: 'zero the counters',
        props: [],
        repeat: '',
        crontab: '',
        once: true,
        onceDelay: 0.1,
        topic: '',
      },
      [['cloud-zero']],
    ),
    node(
      'cloud-zero',
      'change',
      1,
      0,
      {
        name: 'counters',
        rules: ['ingest_requests', 'ingest_accepted', 'events_requests', 'events_accepted'].map((name) =>
          set(name, '0', 'num', 'flow'),
        ),
      },
      [],
    ),

    ...ingest('ingest', 1, { url: '/ingest', mode: 'http', table: 'plantwire_telemetry' }),
    ...ingest('events', 3, { url: '/ingest/events', mode: 'events', table: 'plantwire_events' }),

    // GET /api/health: QuestDB answers a query, or 503.
    httpIn('api-health-in', 0, 6, 'get', '/api/health', ['api-health-query']),
    query('api-health-query', 1, 6, { name: 'SELECT now()', sql: 'SELECT now() now' }, ['api-health-ok']),
    node(
      'api-health-ok',
      'change',
      2,
      6,
      { name: 'up', rules: [set('payload', '{"status": "ok", "questdb": "up", "time": payload[0].now}')] },
      [['api-health-out']],
    ),
    catchFrom('api-health-failed', 1, 7, ['api-health-query'], ['api-health-down']),
    failWith(
      'api-health-down',
      2,
      7,
      503,
      '{"status": "degraded", "questdb": "down", "error": error.message}',
      ['api-health-out'],
    ),
    answer('api-health-out', 3, 6),

    // GET /api/stats: rows and tables in QuestDB, the ingest counters, and the edge's buffer figures.
    httpIn('api-stats-in', 0, 8, 'get', '/api/stats', ['api-stats-tenant']),
    node(
      'api-stats-tenant',
      'change',
      1,
      8,
      { name: 'tenant', rules: [set('params', '{"tenant": $env("TENANT")}')] },
      [['api-stats-rows']],
    ),
    query(
      'api-stats-rows',
      2,
      8,
      {
        name: 'points',
        sql: 'SELECT count() points, count_distinct(id) ids, min(ts) oldest, max(ts) newest FROM plantwire_telemetry WHERE tenant = :tenant',
      },
      ['api-stats-keep'],
    ),
    node('api-stats-keep', 'change', 3, 8, { name: 'keep', rules: [set('telemetry', 'payload[0]')] }, [
      ['api-stats-tables'],
    ]),
    query(
      'api-stats-tables',
      4,
      8,
      {
        name: 'tables',
        sql: "SELECT table_name FROM tables() WHERE table_name LIKE 'plantwire_%' ORDER BY table_name",
      },
      ['api-stats-answer'],
    ),
    node(
      'api-stats-answer',
      'change',
      5,
      8,
      {
        name: 'stats',
        rules: [
          set(
            'payload',
            '{"tables": [payload.table_name], "telemetry": telemetry, ' +
              '"ingest": {"requests": $flowContext("ingest_requests"), "points": $flowContext("ingest_accepted"), ' +
              '"eventRequests": $flowContext("events_requests"), "events": $flowContext("events_accepted")}, ' +
              '"edge": $flowContext("edge"), "link": $flowContext("link")}',
          ),
        ],
      },
      [['api-stats-out']],
    ),
    catchFrom('api-stats-failed', 2, 9, ['api-stats-rows', 'api-stats-tables'], ['api-stats-down']),
    failWith('api-stats-down', 3, 9, 503, '{"error": error.message}', ['api-stats-out']),
    answer('api-stats-out', 6, 8),
    node(
      'cloud-edge-stats',
      'mqtt in',
      0,
      10,
      subscription('cloud-broker', 'edge buffers', variable('EDGE_TOPICS'), '0'),
      [['cloud-edge-keep']],
    ),
    node(
      'cloud-edge-keep',
      'change',
      1,
      10,
      {
        name: 'flow.edge',
        rules: [
          set(
            'edge',
            '$merge([$flowContext("edge") ? $flowContext("edge") : {}, {payload.store: payload}])',
            'jsonata',
            'flow',
          ),
        ],
      },
      [],
    ),
    node('cloud-link', 'mqtt in', 0, 11, subscription('cloud-broker', 'WAN link', variable('LINK_TOPIC')), [
      ['cloud-link-keep'],
    ]),
    node(
      'cloud-link-keep',
      'change',
      1,
      11,
      { name: 'flow.link', rules: [set('link', 'payload', 'msg', 'flow')] },
      [],
    ),

    // GET /api/kpis?plant=&line= (the last hour and the current shift) and /api/series?plant=&line=&machine=&metric=&bucket=&minutes=:
    // presets over QuestDB.
    httpIn('api-kpis-in', 0, 12, 'get', '/api/kpis', ['api-kpis-params']),
    node(
      'api-kpis-params',
      'change',
      1,
      12,
      {
        name: 'params',
        rules: [
          set(
            'params',
            // The last hour and the current shift: the kpis preset takes no window.
            '$merge([{"tenant": $env("TENANT")}, $sift(req.query, function($v, $k) { $k in ["plant", "line"] })])',
          ),
        ],
      },
      [['api-kpis-query']],
    ),
    query('api-kpis-query', 2, 12, { name: 'OEE per machine', mode: 'kpis' }, ['api-kpis-out']),
    answer('api-kpis-out', 3, 12),
    httpIn('api-series-in', 0, 13, 'get', '/api/series', ['api-series-params']),
    node(
      'api-series-params',
      'change',
      1,
      13,
      {
        name: 'params',
        rules: [
          set(
            'params',
            '$merge([{"tenant": $env("TENANT")}, $sift(req.query, function($v, $k) { $k in ["plant", "line", "machine", "metric", "bucket"] }), ' +
              'req.query.minutes ? {"minutes": $number(req.query.minutes)} : {}])',
          ),
        ],
      },
      [['api-series-query']],
    ),
    query('api-series-query', 2, 13, { name: 'series', mode: 'series' }, ['api-series-out']),
    answer('api-series-out', 3, 13),
    // The params nodes too: `minutes=abc` fails in $number there, and the request must still get its answer.
    catchFrom(
      'api-query-failed',
      2,
      14,
      ['api-kpis-params', 'api-kpis-query', 'api-series-params', 'api-series-query'],
      ['api-query-bad'],
    ),
    failWith('api-query-bad', 3, 14, 400, '{"error": error.message}', ['api-kpis-out']),

    // POST /api/fault/{cmd} and /api/alarm/{cmd}: a command to the edge on the plant broker. A JSON body only
    // (415 otherwise): what a web page can post without a CORS preflight is refused (see jsonBody).
    httpIn('api-fault-in', 0, 15, 'post', '/api/fault/:cmd', ['api-fault-json']),
    node('api-fault-json', 'switch', 1, 15, jsonBody(), [['api-fault-check'], ['api-command-not-json']]),
    node(
      'api-fault-check',
      'switch',
      2,
      15,
      oneOf('known fault', 'req.params.cmd', [...FAULTS, 'clear', 'network_outage']),
      [['api-command'], ['api-command-unknown']],
    ),
    httpIn('api-alarm-in', 0, 16, 'post', '/api/alarm/:cmd', ['api-alarm-json']),
    node('api-alarm-json', 'switch', 1, 16, jsonBody(), [['api-alarm-check'], ['api-command-not-json']]),
    node('api-alarm-check', 'switch', 2, 16, oneOf('known alarm command', 'req.params.cmd', ALARM_COMMANDS), [
      ['api-command'],
      ['api-command-unknown'],
    ]),
    node(
      'api-command',
      'change',
      3,
      15,
      {
        name: 'command',
        rules: [
          set(
            'payload',
            '$merge([{"value": true}, $type(payload) = "object" ? payload : {}, {"cmd": req.params.cmd}])',
          ),
        ],
      },
      [['api-publish', 'api-accepted']],
    ),
    node(
      'api-publish',
      'mqtt out',
      4,
      15,
      publish('cloud-broker', TOPIC_VARIABLES.COMMAND_TOPIC, variable('COMMAND_TOPIC'), { qos: '1' }),
    ),
    node(
      'api-accepted',
      'change',
      4,
      16,
      { name: '202', rules: [set('statusCode', '202', 'num'), set('payload', '{"published": payload}')] },
      [['api-command-out']],
    ),
    failWith('api-command-not-json', 2, 17, 415, `{"error": ${NOT_JSON}}`, ['api-command-out']),
    failWith('api-command-unknown', 3, 17, 400, '{"error": "unknown command " & req.params.cmd}', [
      'api-command-out',
    ]),
    answer('api-command-out', 5, 16),
  ];
}
