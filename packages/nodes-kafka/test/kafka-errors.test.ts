// Telling a cluster's refusal (red, trying again does not mend it) from brokers not reached (yellow, retried), on
// kafkajs's own error classes as its retries wrap them.
import {
  KafkaJSConnectionError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isRefusal } from '../src/core/kafka-errors.js';

/** A broker's answer as kafkajs throws it, wrapped as its retrier wraps a non-retriable one. */
const answered = (type: string, retriable: boolean) => {
  const protocol = new KafkaJSProtocolError({ message: type, type, code: 0, retriable } as never);
  return retriable ? protocol : Object.assign(new KafkaJSNonRetriableError(protocol), { cause: protocol });
};

/** One of kafkajs's errors made as kafkajs makes it (its typings take no message for some). */
const made = (Class: unknown, message: string) => new (Class as new (message: string) => Error)(message);

describe('isRefusal', () => {
  it('takes an authorization or a setting the broker refused, bad credentials and kafkajs refusing a setting as refusals', () => {
    expect(isRefusal(answered('TOPIC_AUTHORIZATION_FAILED', false))).toBe(true);
    expect(isRefusal(answered('INVALID_SESSION_TIMEOUT', false))).toBe(true);
    expect(isRefusal(made(KafkaJSSASLAuthenticationError, 'SASL SCRAM SHA512 authentication failed'))).toBe(
      true,
    );
    expect(
      isRefusal(new KafkaJSNonRetriableError('heartbeatInterval must be lower than sessionTimeout')),
    ).toBe(true);
  });

  it('does not take brokers not reached as a refusal, though kafkajs marks some of those non-retriable too', () => {
    const unreachable = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(isRefusal(unreachable)).toBe(false);
    expect(
      isRefusal(
        new KafkaJSNumberOfRetriesExceeded(unreachable, { retryCount: 8, retryTime: 10_000 } as never),
      ),
    ).toBe(false);
    expect(isRefusal(made(KafkaJSGroupCoordinatorNotFound, 'Failed to find group coordinator'))).toBe(false);
    expect(isRefusal(answered('NOT_COORDINATOR', true))).toBe(false);
    expect(isRefusal(new Error('The group coordinator is not available'))).toBe(false);
    expect(isRefusal(undefined)).toBe(false);
  });
});
