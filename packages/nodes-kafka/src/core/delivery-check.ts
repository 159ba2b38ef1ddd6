// The delivery check kafkajs 2.2.4 lacks (kafkajs issue #1303): when a partition leader dies during send(), its
// retry re-sends only to brokers that have not answered yet, so records whose partition moved to a broker that
// already answered are never sent, and send() still resolves. What a send's result covers is compared with what
// was sent; whatever is not covered is sent again.

/** One entry of kafkajs's send() result: a partition the broker acknowledged (errorCode 0) or refused. */
export interface PartitionAck {
  partition: number;
  errorCode: number;
}

/** The records sent to partitions the result does not acknowledge, in their original order. */
export function unacknowledged<T>(
  sent: readonly T[],
  partitionOf: (record: T) => number | undefined,
  result: readonly PartitionAck[],
): T[] {
  const acknowledged = new Set(result.filter((ack) => ack.errorCode === 0).map((ack) => ack.partition));
  return sent.filter((record) => {
    const partition = partitionOf(record);
    return partition === undefined || !acknowledged.has(partition);
  });
}
