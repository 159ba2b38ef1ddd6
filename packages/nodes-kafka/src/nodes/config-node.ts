// What kafka-produce and kafka-consume use of their kafka-config node.
import type { Node, NodeAPI } from 'node-red';
import type { Kafka } from 'kafkajs';
import { SettingError, type NodeShell } from '@plantwire/node-shell';
import { isTopicName } from '../core/topic-name.js';

export interface KafkaConfigNode extends Node<{ username?: string; password?: string }> {
  /** Why the config node refused its settings (it then has no client); undefined when it took them. */
  refused?: string;
  /** The cluster's client, shared by the nodes that use this config. */
  kafka: Kafka;
}

/**
 * The kafka-config node chosen in a produce or consume node's `cluster` setting, or the Error each message is to
 * be answered with: none chosen (a red status and an error at deploy) or one that refused its settings.
 * Texts: `status.noCluster`, `errors.noCluster`, `errors.chooseCluster` and `errors.clusterRefused`.
 */
export function kafkaCluster(
  RED: NodeAPI,
  node: Node,
  shell: NodeShell,
  id: unknown,
): KafkaConfigNode | Error {
  const cluster = (id ? RED.nodes.getNode(String(id)) : null) as KafkaConfigNode | null;
  if (!cluster) {
    shell.status.error(shell.text('status.noCluster'));
    node.error(shell.error('errors.chooseCluster').message);
    return shell.error('errors.noCluster');
  }
  if (cluster.refused !== undefined) {
    shell.refuseSetup(shell.text('errors.clusterRefused', { reason: cluster.refused }));
    return shell.notConfigured();
  }
  return cluster;
}

/**
 * Retries `connect` every `everyMs` until it succeeds or `closed()` says to stop; `waiting` hears each failure.
 * Resolves true once connected, false when closed first.
 */
export async function connectWithRetry(
  connect: () => Promise<void>,
  waiting: (error: Error) => void,
  closed: () => boolean,
  everyMs = 3000,
): Promise<boolean> {
  while (!closed()) {
    try {
      await connect();
      return !closed();
    } catch (error) {
      waiting(error as Error);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
  return false;
}

/**
 * A produce or consume node's topic setting, refused at deploy when Kafka would refuse it.
 * Text: `errors.badTopic`.
 */
export function checkTopic(shell: NodeShell, topic: string): void {
  if (!isTopicName(topic))
    throw new SettingError('topic', shell.text('errors.badTopic', { value: JSON.stringify(topic) }));
}
