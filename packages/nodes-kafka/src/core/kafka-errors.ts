// What a kafkajs error says, read along its causes: kafkajs wraps the broker's answer (a KafkaJSProtocolError with
// its type) in the errors of its retries.

interface KafkaJsErrorFields {
  name?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
}

/** The error and those it wraps (`cause`), outermost first; at most 10 deep. */
function causes(error: unknown): KafkaJsErrorFields[] {
  const chain: KafkaJsErrorFields[] = [];
  for (let e = error; e !== null && typeof e === 'object' && chain.length < 10;) {
    chain.push(e as KafkaJsErrorFields);
    const cause = (e as KafkaJsErrorFields).cause;
    e = cause === e ? undefined : cause;
  }
  return chain;
}

/** Whether the error, or one it wraps, is the broker's answer of one of these types (OUT_OF_ORDER_SEQUENCE_NUMBER). */
export function hasErrorType(error: unknown, types: readonly string[]): boolean {
  return causes(error).some((e) => typeof e.type === 'string' && types.includes(e.type));
}

/** kafkajs's own refusals of a setting or an argument, and of the credentials. */
const REFUSING_ERRORS = new Set([
  'KafkaJSNonRetriableError',
  'KafkaJSSASLAuthenticationError',
  'KafkaJSServerDoesNotSupportApiKey',
]);

/**
 * Whether the cluster refused (authorization, authentication, a setting such as the session timeout) rather than
 * was not reached: trying again does not mend it. kafkajs marks both retriable false at times (a group coordinator
 * not found when no broker answers is one), so only the broker's own answer or kafkajs's refusals count.
 */
export function isRefusal(error: unknown): boolean {
  const innermost = causes(error).at(-1);
  if (innermost?.retriable !== false) return false;
  return typeof innermost.type === 'string' || REFUSING_ERRORS.has(String(innermost.name));
}
