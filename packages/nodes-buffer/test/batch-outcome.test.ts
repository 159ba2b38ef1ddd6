import { describe, expect, it } from 'vitest';
import { batchOutcome } from '../src/core/batch-outcome.js';

const NOW = Date.parse('2026-11-22T10:00:00Z');

describe('batchOutcome: what an answer means for a forwarded batch', () => {
  it('acks 2xx, and a message passed on without status or error (questdb-write)', () => {
    expect(batchOutcome({ statusCode: 200 }, NOW)).toEqual({ kind: 'ack' });
    expect(batchOutcome({ statusCode: '204' }, NOW)).toEqual({ kind: 'ack' });
    expect(batchOutcome({ payload: 'ok' }, NOW)).toEqual({ kind: 'ack' });
  });

  it('retries 5xx, 408, other statuses, network error codes and Catch errors', () => {
    expect(batchOutcome({ statusCode: 503 }, NOW)).toEqual({ kind: 'nack', reason: 'HTTP 503' });
    expect(batchOutcome({ statusCode: 408 }, NOW)).toEqual({ kind: 'nack', reason: 'HTTP 408' });
    expect(batchOutcome({ statusCode: 302 }, NOW)).toEqual({ kind: 'nack', reason: 'HTTP 302' });
    expect(batchOutcome({ statusCode: 'ETIMEDOUT', error: { message: 'connect ETIMEDOUT' } }, NOW)).toEqual({
      kind: 'nack',
      reason: 'ETIMEDOUT: connect ETIMEDOUT',
    });
    expect(batchOutcome({ statusCode: 'ECONNRESET' }, NOW)).toEqual({ kind: 'nack', reason: 'ECONNRESET' });
    expect(batchOutcome({ error: { message: 'timeout' } }, NOW)).toEqual({ kind: 'nack', reason: 'timeout' });
    expect(batchOutcome({ error: 'plain' }, NOW)).toEqual({ kind: 'nack', reason: 'plain' });
  });

  it('tells a connection never made (refused, no route) from a failed request: the sink saw nothing', () => {
    expect(
      batchOutcome({ statusCode: 'ECONNREFUSED', error: { message: 'connect ECONNREFUSED' } }, NOW),
    ).toEqual({ kind: 'unreachable', reason: 'ECONNREFUSED: connect ECONNREFUSED' });
    for (const code of ['EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN'])
      expect(batchOutcome({ statusCode: code }, NOW)).toEqual({ kind: 'unreachable', reason: code });
    // What a Catch node gets from the http request node: the error, before the node sets the code.
    const caught = { error: { message: 'RequestError: connect ECONNREFUSED 127.0.0.1:1880' } };
    expect(batchOutcome(caught, NOW)).toEqual({ kind: 'unreachable', reason: caught.error.message });
  });

  it("honours 429's Retry-After, in seconds or as a date", () => {
    expect(batchOutcome({ statusCode: 429, headers: { 'retry-after': '2' } }, NOW)).toEqual({
      kind: 'nack',
      reason: 'HTTP 429 Too Many Requests',
      retryAfterMs: 2000,
    });
    const at = new Date(NOW + 5000).toUTCString();
    expect(batchOutcome({ statusCode: 429, headers: { 'retry-after': at } }, NOW)).toMatchObject({
      retryAfterMs: 5000,
    });
    expect(batchOutcome({ statusCode: 429 }, NOW)).toMatchObject({ retryAfterMs: undefined });
  });

  it("honours a 503's Retry-After (the service says how long it is down), and no other 5xx's", () => {
    expect(batchOutcome({ statusCode: 503, headers: { 'retry-after': '30' } }, NOW)).toEqual({
      kind: 'nack',
      reason: 'HTTP 503',
      retryAfterMs: 30_000,
    });
    expect(batchOutcome({ statusCode: 503, headers: { 'retry-after': 'soon' } }, NOW)).toEqual({
      kind: 'nack',
      reason: 'HTTP 503',
    });
    expect(batchOutcome({ statusCode: 500, headers: { 'retry-after': '30' } }, NOW)).toEqual({
      kind: 'nack',
      reason: 'HTTP 500',
    });
  });

  it('retries a 404: a Node-RED still starting its flows answers it, and the data is not at fault', () => {
    expect(batchOutcome({ statusCode: 404, payload: 'Cannot POST /ingest' }, NOW)).toEqual({
      kind: 'nack',
      reason: 'HTTP 404: no such endpoint (yet)',
    });
  });

  it('quarantines other 4xx with the start of the answer', () => {
    expect(batchOutcome({ statusCode: 400, payload: 'bad point at line 1' }, NOW)).toEqual({
      kind: 'quarantine',
      status: 400,
      reason: 'HTTP 400: bad point at line 1',
    });
    const outcome = batchOutcome({ statusCode: 422, payload: { error: 'x'.repeat(500) } }, NOW);
    expect(outcome).toMatchObject({ kind: 'quarantine', status: 422 });
    expect((outcome as { reason: string }).reason).toHaveLength('HTTP 422: '.length + 200);
  });
});
