import { accessSync, constants, readFileSync } from 'node:fs';
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
}

/**
 * The connection setting that cannot work, checked at deploy rather than failing every request as "unavailable":
 * an address that is not http(s) (a missing scheme, say), or a CA file that cannot be read (with why).
 */
export function connectionProblem(
  connection: Pick<QuestDbConnection, 'url' | 'caFile'>,
): { setting: 'url' } | { setting: 'caFile'; reason: string } | undefined {
  let protocol = '';
  try {
    protocol = new URL(connection.url).protocol;
  } catch {
    // not a URL at all: refused below
  }
  if (protocol !== 'http:' && protocol !== 'https:') return { setting: 'url' };
  if (connection.caFile) {
    try {
      accessSync(connection.caFile, constants.R_OK);
    } catch (error) {
      return { setting: 'caFile', reason: (error as Error).message };
    }
  }
  return undefined;
}

/** bad-data: the rows themselves (HTTP 400, 413); auth: 401/403, a configuration error; unavailable: retry later. */
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

/** OS errors QuestDB names (`errno: N`) when it cannot write its files, in words that fit a node status. */
const WRITE_ERRORS: Record<number, string> = {
  13: 'permission denied',
  24: 'too many open files',
  28: 'disk full',
  30: 'read-only file system',
};

/**
 * What an HTTP error status from QuestDB means. Only 400 (lines or SQL it cannot take) and 413 (a request too large:
 * its halves go) are about the data. Anything else (404 from a proxy while QuestDB restarts, or an address that is
 * not QuestDB's) says nothing about the rows, which must wait, not be refused.
 */
export function statusKind(status: number): FailureKind {
  if (status === 401 || status === 403) return 'auth';
  return status === 400 || status === 413 ? 'bad-data' : 'unavailable';
}

/** Classifies anything the client or fetch threw. */
export function classify(error: unknown): QuestDbError {
  if (error instanceof QuestDbError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const status = Number(/statusCode=(\d{3})/.exec(message)?.[1] ?? NaN);
  if (status === 401 || status === 403)
    return new QuestDbError(`QuestDB refused the credentials (HTTP ${status})`, 'auth', status);
  if (statusKind(status) === 'bad-data') return new QuestDbError(message, 'bad-data', status);
  // QuestDB answers 500 with the OS error when its disk is full or read-only: say that first, a status is short.
  const errno = Number(/errno[=:]\s*(\d+)/.exec(message)?.[1] ?? NaN);
  const cannotWrite = WRITE_ERRORS[errno];
  if (cannotWrite)
    return new QuestDbError(
      `QuestDB cannot write: ${cannotWrite} (errno ${errno}): ${message}`,
      'unavailable',
      status,
    );
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
        ...tlsOptions(connection, url),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        // A connection closed mid-body (QuestDB restarting, a proxy dropping it) never ends the response, and the
        // request's timeout no longer applies: without these the promise would wait for ever, and with it every
        // write waiting for its table.
        const cutOff = () => reject(classify(new Error('connection closed before the answer was complete')));
        response.on('error', cutOff);
        response.on('close', () => {
          if (!response.complete) cutOff();
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status === 401 || status === 403) return reject(classify(new Error(`statusCode=${status}`)));
          let body: QueryResult & { error?: string };
          try {
            body = JSON.parse(Buffer.concat(chunks).toString()) as QueryResult & { error?: string };
          } catch {
            body = { error: response.statusMessage } as QueryResult & { error?: string };
          }
          // A statement that returns no rows (CREATE, INSERT, ...) answers {"ddl": "OK"} or {"dml": "OK"}.
          if (status >= 200 && status < 300 && !body.error)
            return resolve(Array.isArray(body.dataset) ? body : { columns: [], dataset: [], count: 0 });
          reject(
            new QuestDbError(`QuestDB: ${body.error ?? response.statusMessage}`, statusKind(status), status),
          );
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error('request timeout')));
    request.on('error', (error) => reject(classify(error)));
  });
}

/** TLS options for node:https from the connection (a private CA, or no verification for testing). */
function tlsOptions(connection: QuestDbConnection, url: URL): https.RequestOptions {
  if (url.protocol !== 'https:') return {};
  return {
    rejectUnauthorized: connection.tlsVerify !== false,
    ca: connection.caFile ? readFileSync(connection.caFile) : undefined,
  };
}

/**
 * Posts encoded ILP lines to QuestDB's /write over kept-alive connections. QuestDB applies a request's rows
 * all or none; 204 means they are committed to its WAL.
 */
export class IlpPoster {
  private readonly url: URL;
  private readonly agent: http.Agent;

  constructor(
    private readonly connection: QuestDbConnection,
    sockets: number,
  ) {
    this.url = new URL(`${connection.url.replace(/\/$/, '')}/write?precision=ms`);
    const Agent = this.url.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  post(body: Buffer): Promise<void> {
    const client = this.url.protocol === 'https:' ? https : http;
    return new Promise<void>((resolve, reject) => {
      const request = client.request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            ...authorization(this.connection),
            'Content-Type': 'text/plain; charset=utf-8',
            'Content-Length': body.length,
          },
          timeout: this.connection.requestTimeoutMs ?? 10_000,
          ...tlsOptions(this.connection, this.url),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve();
            const answer = Buffer.concat(chunks).toString().trim() || (response.statusMessage ?? '');
            reject(classify(new Error(`HTTP request failed, statusCode=${status}, error=${answer}`)));
          });
          response.on('error', (error) => reject(classify(error)));
        },
      );
      request.on('timeout', () => request.destroy(new Error('request timeout')));
      request.on('error', (error) => reject(classify(error)));
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
