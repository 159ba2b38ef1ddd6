import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
/** How to reach QuestDB over HTTP, and the one place that turns its failures into three kinds a flow can act on. */
export interface QuestDbConnection {
  /** http(s)://host:port */
  url: string;
  username?: string;
  password?: string;
  token?: string;
  /** false: accept any certificate (testing only). */
  tlsVerify?: boolean;
  /** PEM file of the CA that signed QuestDB's certificate, when it is not a public one. */
  caFile?: string;
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

/** Runs SQL through /exec (node:https, so a private CA and unverified TLS work as they do for the sender). */
export function exec(connection: QuestDbConnection, sql: string): Promise<QueryResult> {
  const url = new URL(`${connection.url.replace(/\/$/, '')}/exec`);
  url.searchParams.set('query', sql);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<QueryResult>((resolve, reject) => {
    const request = client.get(
      url,
      {
        headers: authorization(connection),
        timeout: connection.requestTimeoutMs ?? 10_000,
        ...(url.protocol === 'https:'
          ? {
              rejectUnauthorized: connection.tlsVerify !== false,
              ca: connection.caFile ? readFileSync(connection.caFile) : undefined,
            }
          : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status === 401 || status === 403) return reject(classify(new Error(`statusCode=${status}`)));
          let body: QueryResult & { error?: string };
          try {
            body = JSON.parse(Buffer.concat(chunks).toString()) as QueryResult & { error?: string };
          } catch {
            body = { error: response.statusMessage } as QueryResult & { error?: string };
          }
          if (status >= 200 && status < 300 && !body.error) return resolve(body);
          reject(
            new QuestDbError(
              `QuestDB: ${body.error ?? response.statusMessage}`,
              status >= 500 ? 'unavailable' : 'bad-data',
              status,
            ),
          );
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error('request timeout')));
    request.on('error', (error) => reject(classify(error)));
  });
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
  if (connection.caFile) parts.push(`tls_ca=${value(connection.caFile)}`);
  return `${parts.join(';')};`;
}
