export {
  kafkaClientConfig,
  parseBrokers,
  type ClientSettings,
  type SaslMechanism,
} from './core/client-config.js';
export {
  DeliveringProducer,
  RecordsRefusedError,
  type DeliveringProducerOptions,
  type DeliveryStats,
} from './core/delivering-producer.js';
export { unacknowledged, type PartitionAck } from './core/delivery-check.js';
export {
  GroupConsumer,
  type ConsumerStats,
  type Delivery,
  type GroupConsumerOptions,
} from './core/group-consumer.js';
export { OffsetTracker } from './core/offset-tracker.js';
export { toRecords, fromRecord, type OutRecord } from './core/records.js';
