// A tokens file the telemetry-validate node watches: revoking or adding a token is an edit of the file, no
// redeploy. Polled by stat (fs.watchFile) rather than fs.watch: an editor's save-by-rename, a config tool's
// replace and a Kubernetes secret's symlink swap all change what stat sees, while fs.watch loses track of a
// renamed file.
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { readTokens, type TokenTable } from './ingest-tokens.js';

export interface TokenFileState {
  table: TokenTable;
  /** Bad lines (skipped) or why the file could not be read (then no token of the file is valid). */
  errors: string[];
}

/** Reads the file now. A missing or unreadable file grants nothing: revoking every token is deleting it. */
export function readTokenFile(path: string): TokenFileState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { table: new Map(), errors: [`tokens file ${path}: cannot be read (${code})`] };
  }
  return readTokens(text);
}

/** Calls onChange with the file's tokens whenever it changes, checking every intervalMs; returns the stop. */
export function watchTokenFile(
  path: string,
  onChange: (state: TokenFileState) => void,
  intervalMs = 1000,
): () => void {
  const listener = (now: Stats, before: Stats) => {
    if (now.mtimeMs !== before.mtimeMs || now.size !== before.size || now.ino !== before.ino) {
      onChange(readTokenFile(path));
    }
  };
  watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return () => unwatchFile(path, listener);
}
