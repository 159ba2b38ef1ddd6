/** How to reach QuestDB over HTTP, and the one place that turns its failures into three kinds a flow can act on. */
export interface QuestDbConnection {
  /** http(s)://host:port */
  url: string;
  username?: string;
  password?: string;
  token?: string;
  /** false: accept any certificate (testing only). */
  tlsVerify?: boolean;
  requestTimeoutMs?: number;
  /** ILP protocol version; explicit, so a flow can deploy while QuestDB is down. */
  protocolVersion?: 1 | 2;
}

/** bad-data: the rows themselves (HTTP 400); auth: 401/403, a configuration error; unavailable: retry later. */
export type FailureKind = 'bad-data' | 'auth' | 'unavailable';

export class QuestDbError extends Error {
  constructor(
    message: string,
    readonly kind: FailureKind,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'QuestDbError';
  }
}

/** Classifies anything the client or fetch threw. */
export function classify(error: unknown): QuestDbError {
  if (error instanceof QuestDbError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const status = Number(/statusCode=(\d{3})/.exec(message)?.[1] ?? NaN);
  if (status === 401 || status === 403)
    return new QuestDbError(`QuestDB refused the credentials (HTTP ${status})`, 'auth', status);
  if (status >= 400 && status < 500 && status !== 408 && status !== 429)
    return new QuestDbError(message, 'bad-data', status);
  return new QuestDbError(
    `QuestDB unavailable: ${message}`,
    'unavailable',
    Number.isFinite(status) ? status : undefined,
  );
}

export function authorization(connection: QuestDbConnection): Record<string, string> {
  if (connection.token) return { Authorization: `Bearer ${connection.token}` };
  if (connection.username) {
    return {
      Authorization: `Basic ${Buffer.from(`${connection.username}:${connection.password ?? ''}`).toString('base64')}`,
    };
  }
  return {};
}

export interface QueryResult {
  columns: { name: string; type: string }[];
  dataset: unknown[][];
  count: number;
}

/** Runs SQL through /exec. */
export async function exec(connection: QuestDbConnection, sql: string): Promise<QueryResult> {
  let response: Response;
  try {
    response = await fetch(`${connection.url.replace(/\/$/, '')}/exec?query=${encodeURIComponent(sql)}`, {
      headers: authorization(connection),
      signal: AbortSignal.timeout(connection.requestTimeoutMs ?? 10_000),
    });
  } catch (error) {
    throw classify(error);
  }
  if (response.status === 401 || response.status === 403)
    throw classify(new Error(`statusCode=${response.status}`));
  const body = (await response.json().catch(() => ({ error: response.statusText }))) as QueryResult & {
    error?: string;
  };
  if (!response.ok || body.error) {
    const kind = response.status >= 500 ? 'unavailable' : 'bad-data';
    throw new QuestDbError(`QuestDB: ${body.error ?? response.statusText}`, kind, response.status);
  }
  return body;
}

/** The ILP sender's configuration string; `;` inside a value is doubled, as the format asks. */
export function senderConfig(connection: QuestDbConnection): string {
  const url = new URL(connection.url);
  const value = (text: string) => text.replaceAll(';', ';;');
  const parts = [
    `${url.protocol === 'https:' ? 'https' : 'http'}::addr=${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 9000)}`,
    'auto_flush=off',
    `protocol_version=${connection.protocolVersion ?? 1}`,
    `request_timeout=${connection.requestTimeoutMs ?? 10_000}`,
  ];
  if (connection.token) parts.push(`token=${value(connection.token)}`);
  else if (connection.username)
    parts.push(`username=${value(connection.username)}`, `password=${value(connection.password ?? '')}`);
  if (connection.tlsVerify === false) parts.push('tls_verify=unsafe_off');
  return `${parts.join(';')};`;
}
