// Kafka's rule for a topic name (org.apache.kafka.common.internals.Topic): the broker refuses any other, and
// kafkajs only says so at the first send or subscribe, long after the deploy.
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

export function isTopicName(name: string): boolean {
  return TOPIC_NAME.test(name) && name !== '.' && name !== '..';
}
