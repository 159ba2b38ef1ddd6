// Ingest tokens: who may write what, and how fast. A token belongs to one tenant, may be limited to plants or
// lines, and may carry a rate in points per second. Tokens are kept by their SHA-256 only: a table in memory or
// in a heap dump does not hand out usable tokens, and a lookup never compares secrets character by character.
import { createHash } from 'node:crypto';
import { describeValue, isIdentifier } from '@plantwire/telemetry';

/** What one token may do. */
export interface TokenGrant {
  tenant: string;
  /** Plants ('plant') and lines ('plant/line') the token may write; empty: the whole tenant. */
  scope: string[];
  /** Points per second, when limited. */
  rate?: number;
  /** Where the token was defined (1-based line of the text it came from), for messages that never show it. */
  line: number;
}

/** SHA-256 (hex) of a token -> its grant. */
export type TokenTable = Map<string, TokenGrant>;

export const TOKEN_LINE_FORMAT = 'token tenant [plant|plant/line,...] [rate=<points/s>]';

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * One token a line: `token tenant`, optionally a comma-separated scope of plants and plant/line pairs and a rate
 * in points per second. `token tenant` and, on a line without spaces, `token=tenant` (the formats before scopes)
 * read as before. Blank lines
 * and # comments are skipped. A bad line throws, naming its line number and the field, never a value of the line:
 * a reversed line (`tenant token`) or two tokens on one line put a token where a tenant or scope should be.
 */
export function parseTokens(text: string | undefined): TokenTable {
  const { table, errors } = readTokens(text);
  if (errors.length > 0) throw new Error(errors[0]);
  return table;
}

/** parseTokens that skips bad lines and lists why: a tokens file with one broken line keeps its other tokens. */
export function readTokens(text: string | undefined): { table: TokenTable; errors: string[] } {
  const table: TokenTable = new Map();
  const errors: string[] = [];
  (text ?? '').split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    // The old `token=tenant` form only on a line without spaces: a base64 token ends in "=", as in "abc= acme".
    const [token, ...rest] = (/\s/.test(line) ? line : line.replace(/^(\S+?)=/, '$1 ')).split(/\s+/);
    const why = grantOf(rest, i + 1);
    if (typeof why === 'string') {
      errors.push(`tokens, line ${i + 1}: ${why}; the format is "${TOKEN_LINE_FORMAT}"`);
      return;
    }
    const key = tokenHash(token!);
    if (table.has(key)) errors.push(`tokens, line ${i + 1}: the token is listed twice`);
    else table.set(key, why);
  });
  return { table, errors };
}

/**
 * The grant of one line after its token, or why it is not one. Messages name fields by position only: any field
 * of a line may be a token (a reversed line, two tokens on one line), so no value of the line is ever shown.
 */
function grantOf([tenant, ...options]: string[], line: number): TokenGrant | string {
  if (!tenant) return 'a token needs a tenant';
  if (!isIdentifier(tenant)) return 'the tenant (field 2) is not an identifier';
  const grant: TokenGrant = { tenant, scope: [], line };
  for (const [i, option] of options.entries()) {
    const field = `field ${i + 3}`;
    const rate = /^rate=(.*)$/.exec(option)?.[1];
    if (rate !== undefined) {
      const perSecond = Number(rate);
      if (!(perSecond > 0) || !Number.isFinite(perSecond))
        return `the rate (${field}) must be points per second > 0`;
      grant.rate = perSecond;
      continue;
    }
    for (const part of option.split(',').filter(Boolean)) {
      const pieces = part.split('/');
      if (pieces.length > 2 || !pieces.every((piece) => isIdentifier(piece))) {
        return `the scope (${field}) is not a list of plants or plant/lines`;
      }
      grant.scope.push(part);
    }
  }
  return grant;
}

/** Both tables' tokens; a token in both keeps its first grant. */
export function mergeTokens(first: TokenTable, second: TokenTable): TokenTable {
  const merged: TokenTable = new Map(second);
  for (const [key, grant] of first) merged.set(key, grant);
  return merged;
}

/** Why a point or event of this plant and line is not the grant's to write, or undefined when it is. */
export function outOfScope(
  grant: TokenGrant,
  item: { tenant: string; plant: string; line: string },
): string | undefined {
  if (item.tenant !== grant.tenant) return `tenant ${describeValue(item.tenant)} is not the token's tenant`;
  if (grant.scope.length === 0) return undefined;
  if (grant.scope.includes(item.plant) || grant.scope.includes(`${item.plant}/${item.line}`))
    return undefined;
  return `plant/line ${describeValue(`${item.plant}/${item.line}`)} is outside the token's scope (${grant.scope.join(', ')})`;
}

/**
 * A token bucket per token that may go into debt: a request is let in while the bucket is not empty, whatever
 * its size, and takes its points; the next one waits until the debt is paid back. One second of the rate is the
 * burst. A batch larger than the rate is therefore never refused for good, only spaced out.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { level: number; at: number }>();

  /** Takes `points` from the token's bucket, or says in how many whole seconds to come back. */
  take(key: string, rate: number, points: number, now: number): { retryAfterS: number } | undefined {
    const bucket = this.buckets.get(key) ?? { level: rate, at: now };
    bucket.level = Math.min(rate, bucket.level + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.level <= 0) return { retryAfterS: Math.max(1, Math.ceil(-bucket.level / rate)) };
    bucket.level -= points;
    return undefined;
  }

  /** Forgets tokens that are no longer in the table (revoked ones included). */
  keepOnly(table: TokenTable): void {
    for (const key of this.buckets.keys()) if (!table.has(key)) this.buckets.delete(key);
  }
}
