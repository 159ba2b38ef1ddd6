// A node's name (its id, or a store or state name) as the name of its file in a plantwire folder. Node-RED's
// editor makes ids of hex digits (older ones with a dot): they are file names as they are, and stay so, so the
// files of existing nodes are still found. A hand-written id can be anything: a `/` would make folders, a `..`
// would reach outside the plantwire folder. Such a name is encoded: every character outside [A-Za-z0-9_-]
// (the dots too) as %XX of its UTF-8 bytes, so it stays one file, and one no plain name can be (plain names
// have no %). A name too long for a file keeps a readable start and a hash of the whole.
import { createHash } from 'node:crypto';

const PLAIN = /^[A-Za-z0-9._-]+$/;
/** File systems allow 255 bytes; room is left for the extension and a `.corrupt-<time>` or `-wal` suffix. */
const MAX_NAME = 160;

/** The file name (without extension) for a node named `name`: plain names unchanged, anything else encoded. */
export function fileNameFor(name: string): string {
  if (PLAIN.test(name) && !name.includes('..') && name.length <= MAX_NAME) return name;
  let encoded = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9_-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (encoded.length <= MAX_NAME && encoded !== '') return encoded;
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 32);
  return `${encoded.slice(0, MAX_NAME - 34)}%~${hash}`;
}
