// The demo plant and the small helpers every demo flow is written with.
import { ALARM_COMMANDS as OPERATOR_COMMANDS } from '@plantwire/node-red-rules';
import { GAUGE_METRICS, MACHINE_FAULTS } from '@plantwire/node-red-simulator';

/**
 * The reference plant: tenant acme, plant plant-01, three lines of a CNC mill, a press and a pump. TENANT and PLANT
 * are the defaults of the flows' tab variables of the same names: PLANTWIRE_TENANT and PLANTWIRE_PLANT choose
 * another tenant and plant when the flows start.
 */
export const TENANT = 'acme';
export const PLANT = 'plant-01';
export const LINES = ['line-01', 'line-02', 'line-03'];
export const MACHINE_TYPES = ['cnc', 'press', 'pump'];
/** machine-sim names machines by type and position on the line. */
export const MACHINES = LINES.flatMap((line) =>
  MACHINE_TYPES.map((type, i) => ({ line, machine: `${type}-${String(i + 1).padStart(2, '0')}` })),
);
export const GAUGES = GAUGE_METRICS;
/** machine-sim's faults and threshold-alarm's commands (plus `list`, which resends the alarm list). */
export const FAULTS = Object.keys(MACHINE_FAULTS);
export const ALARM_COMMANDS = [...OPERATOR_COMMANDS, 'list'];

/** MQTT topics of one plant (docs/architecture.md). */
export const topicsOf = (tenant, plant) => ({
  points: `v1/${tenant}/${plant}/+/+/+`,
  command: `v1/${tenant}/${plant}/cmd`,
  alarms: `v1/${tenant}/${plant}/alarms`,
  /** An alarm command the edge refused, and why (not retained). */
  alarmRefusals: `v1/${tenant}/${plant}/alarms/refused`,
  edgeStats: `v1/${tenant}/${plant}/edge`,
  link: `v1/${tenant}/${plant}/link`,
});

/** The reference plant's topics, for the scripts that talk to it (`npm run chaos`). */
export const TOPICS = topicsOf(TENANT, PLANT);

/**
 * The topics in the flows: tab variables made of the tab's TENANT and PLANT, which a node reads as a whole
 * `${NAME}` property (Node-RED substitutes an environment variable only for a property that is nothing else: a
 * `${TENANT}` inside a longer topic would stay as it is, so each topic is a variable of its own).
 */
const FLOW_TOPICS = topicsOf('${TENANT}', '${PLANT}');
export const TOPIC_VARIABLES = {
  POINTS_TOPIC: FLOW_TOPICS.points,
  COMMAND_TOPIC: FLOW_TOPICS.command,
  ALARMS_TOPIC: FLOW_TOPICS.alarms,
  ALARM_REFUSALS_TOPIC: FLOW_TOPICS.alarmRefusals,
  /** The edge publishes each store's figures on EDGE_TOPIC/{store}; the cloud subscribes to EDGE_TOPICS. */
  EDGE_TOPIC: FLOW_TOPICS.edgeStats,
  EDGE_TOPICS: `${FLOW_TOPICS.edgeStats}/+`,
  LINK_TOPIC: FLOW_TOPICS.link,
};

/** The TOPIC_VARIABLES of these names, for a tab. */
export const topicVariables = (...names) =>
  Object.fromEntries(names.map((name) => [name, TOPIC_VARIABLES[name]]));

/** A node property that is the tab variable `name` (a topic of TOPIC_VARIABLES, say) when the flows start. */
export const variable = (name) => `\${${name}}`;

/**
 * The plant broker's accounts (rules in @plantwire/testkit's mqtt-acl.ts): the edge and the WAN link are devices of
 * the plant, the cloud its tenant's service. One per password given: `npm start` runs all three, docker/compose.yaml
 * has no WAN link (its ACL file, docker/mosquitto.acl, is written from these by `npm run flows`). They are the
 * reference plant's unless `tenant` and `plant` say otherwise.
 */
export function mqttAccounts({ edge, wan, cloud }, { tenant = TENANT, plant = PLANT } = {}) {
  const device = { role: 'device', tenant, plant };
  return [
    edge !== undefined && { username: `edge-${plant}`, password: edge, ...device },
    wan !== undefined && { username: 'wan-link', password: wan, ...device },
    cloud !== undefined && { username: `cloud-${tenant}`, password: cloud, role: 'service', tenant },
  ].filter(Boolean);
}

/** The accounts of docker/compose.yaml: the edge and the cloud (passwords are made at its first start). */
export const DOCKER_MQTT_ACCOUNTS = mqttAccounts({ edge: '', cloud: '' });

/**
 * A tab whose environment variables default sensibly when the process does not set them: a tab variable
 * NAME takes $PLANTWIRE_NAME, else the default (docker/compose.yaml and `npm start` set them). `made` are variables
 * made of those, `${NAME}` in their text standing for the variable NAME (topicVariables(...) of the tab's topics).
 */
export function tab(id, label, info, variables, made = {}) {
  return {
    id,
    type: 'tab',
    label,
    disabled: false,
    info,
    env: [
      ...Object.entries(variables).map(([name, fallback]) => ({
        name,
        type: 'jsonata',
        value: `$env("PLANTWIRE_${name}") ? $env("PLANTWIRE_${name}") : ${JSON.stringify(fallback)}`,
      })),
      // An env variable is evaluated after the tab's other variables, so it can be made of them.
      ...Object.entries(made).map(([name, value]) => ({ name, type: 'env', value })),
    ],
  };
}

/** Nodes of one tab, placed on a grid of 240 x 60 px cells (wide enough for their labels). */
export function nodesOf(z) {
  return (id, type, col, row, props = {}, wires = []) => ({
    id,
    type,
    z,
    name: '',
    ...props,
    x: 120 + col * 240,
    y: 60 + row * 60,
    wires,
  });
}

/** Comments of one tab: the section headings of a flow. */
export function commentsOf(z) {
  const node = nodesOf(z);
  return (id, col, row, name) => node(id, 'comment', col, row, { name, info: '' });
}

/** Function nodes of tab `z`: their code as lines, Node-RED's defaults for the rest. */
export function functionsOf(z) {
  const node = nodesOf(z);
  return (id, col, row, name, lines, outputs, wires) =>
    node(
      id,
      'function',
      col,
      row,
      { name, func: lines.join('\n'), outputs, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [] },
      wires,
    );
}

/** The plant's broker, scoped to one tab so it reads that tab's MQTT_HOST and MQTT_PORT. */
export function broker(id, z, name) {
  return {
    id,
    type: 'mqtt-broker',
    z,
    name,
    broker: '${MQTT_HOST}',
    port: '${MQTT_PORT}',
    clientid: '',
    autoConnect: true,
    usetls: false,
    protocolVersion: '4',
    keepalive: '60',
    cleansession: true,
    autoUnsubscribe: true,
    birthTopic: '',
    closeTopic: '',
    willTopic: '',
  };
}

/** A QuestDB server, scoped to one tab so it reads that tab's QUESTDB_URL. */
export function questdb(id, z) {
  return {
    id,
    type: 'questdb-config',
    z,
    name: 'QuestDB',
    url: '${QUESTDB_URL}',
    tlsVerify: true,
    caFile: '',
    requestTimeoutS: '10',
    flushRows: '10000',
    flushIntervalMs: '100',
    maxAttempts: '10',
  };
}

/** mqtt out settings: a fixed topic, or '' to publish on msg.topic. */
export const publish = (broker, name, topic, { qos = '0', retain = false } = {}) => ({
  name,
  topic,
  qos,
  retain: String(retain),
  respTopic: '',
  contentType: '',
  userProps: '',
  correl: '',
  expiry: '',
  broker,
});

/** mqtt in settings: JSON payloads from one topic filter. */
export const subscription = (broker, name, topic, qos = '1') => ({
  name,
  topic,
  qos,
  datatype: 'json',
  broker,
  nl: false,
  rap: true,
  rh: 0,
  inputs: 0,
});

/** switch settings: output 1 when msg.<property> is one of `names`, output 2 otherwise. */
export const oneOf = (name, property, names) => ({
  name,
  property,
  propertyType: 'msg',
  rules: [{ t: 'regex', v: `^(${names.join('|')})$`, vt: 'str', case: false }, { t: 'else' }],
  checkall: 'false',
  repair: false,
  outputs: 2,
});

/**
 * switch settings for an HTTP request: output 1 when its body is declared JSON (Content-Type application/json),
 * output 2 otherwise. Any web page can make a visitor's browser post a form or text/plain to another site; JSON
 * only after a CORS preflight. Node-RED's editor grants every preflight at its root (Access-Control-Allow-Origin *),
 * so this alone does not stop a web page: `npm start` also refuses requests from other sites
 * (scripts/node-red-guards.cjs).
 */
export const jsonBody = (name = 'JSON body?') => ({
  name,
  property: 'req.headers["content-type"]',
  propertyType: 'msg',
  rules: [{ t: 'regex', v: '^\\s*application/json\\s*(;|$)', vt: 'str', case: true }, { t: 'else' }],
  checkall: 'false',
  repair: false,
  outputs: 2,
});

/** A JSONata message for the 415 answer to a body that is not declared JSON. */
export const NOT_JSON = '"send the body as JSON, with Content-Type: application/json"';

/** questdb-query settings on a server: SQL by default, or a preset through `props`. */
export const querying = (server, props) => ({
  server,
  mode: 'sql',
  sql: '',
  table: 'plantwire_telemetry',
  bucket: '1m',
  minutes: '60',
  output: 'rows',
  ...props,
});

/** A change node rule. */
export const set = (p, to, tot = 'jsonata', pt = 'msg') => ({ t: 'set', p, pt, to, tot });
export const remove = (p) => ({ t: 'delete', p, pt: 'msg' });
