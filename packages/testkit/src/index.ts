export {
  freePort,
  portIsFree,
  ephemeralLow,
  sleep,
  waitFor,
  waitForPort,
  GiveUp,
  startProcess,
  type ManagedProcess,
} from './process.js';
export { teardown, type Teardown, type Stoppable } from './teardown.js';
export {
  QUESTDB_VERSION,
  cacheDir,
  questDbJarPath,
  ensureQuestDbJar,
  javaMajorVersion,
  startQuestDb,
  type QuestDb,
  type QuestDbOptions,
  type QueryResult,
} from './questdb.js';
export {
  startNodeRed,
  QUIET_EDITOR_SETTINGS,
  type NodeRed,
  type NodeRedOptions,
  type FlowNode,
} from './node-red.js';
export {
  startAedesBroker,
  startMosquitto,
  mosquittoBinary,
  type Broker,
  type MosquittoBroker,
  type MqttRequest,
} from './broker.js';
export { nodeRedTestHelper, coreNode, type NodeRedTestHelper, type NodeRedTestNode } from './test-helper.js';
export {
  telemetryPoint,
  writeWithOfficialClient,
  type IlpRowSender,
  collect,
  until,
  flowContextProbe,
  flowCounter,
  shippedExamples,
} from './fixtures.js';
export { startRegistry, type Registry } from './registry.js';
export {
  NODE_22_VERSION,
  currentNodeRuntime,
  ensureNode22,
  ensureNodeRed,
  npm,
  type NodeRuntime,
} from './runtimes.js';
export { launchBrowser, CHROMIUM } from './browser.js';
export { canMountLoop, mountLoopDisk, type LoopDisk } from './loop-disk.js';
export { mqttClients, type MqttClients } from './mqtt-clients.js';
export { startWanLink, type WanLink, type WanLinkOptions, type WanLinkState } from './wan-link.js';
export {
  permissionsOf,
  mayPublish,
  maySubscribe,
  filterWithin,
  mosquittoAcl,
  authenticate as authenticateMqtt,
  type MqttAccount,
  type MqttPermissions,
} from './mqtt-acl.js';
export {
  ADMIN_ROLES,
  adminAuthSettings,
  adminToken,
  newAdminPasswords,
  type AdminPasswords,
  type AdminRole,
} from './admin-auth.js';
export {
  KAFKA_VERSION,
  kafkaLibsPath,
  ensureKafkaLibs,
  startKafkaCluster,
  type KafkaCluster,
  type KafkaClusterOptions,
  type KafkaNode,
} from './kafka.js';
