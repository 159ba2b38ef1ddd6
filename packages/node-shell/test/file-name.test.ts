import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileNameFor } from '../src/index.js';

describe('fileNameFor: a node id or store name as a file name', () => {
  it("keeps editor-made ids and other plain names as they are, so existing nodes' files are still found", () => {
    for (const name of ['3f2a9c1d7e8b4a60', 'a1b2c3d4.e5f607', 'edge-buffer', 'store_1', 'v1.2']) {
      expect(fileNameFor(name)).toBe(name);
    }
  });

  it('encodes a / or a .. (and every other byte outside [A-Za-z0-9_-]) so the name stays one file in its folder', () => {
    expect(fileNameFor('plant/line')).toBe('plant%2Fline');
    expect(fileNameFor('..')).toBe('%2E%2E');
    expect(fileNameFor('../../etc/passwd')).toBe('%2E%2E%2F%2E%2E%2Fetc%2Fpasswd');
    expect(fileNameFor('a..b')).toBe('a%2E%2Eb');
    expect(fileNameFor('C:\\x')).toBe('C%3A%5Cx');
    expect(fileNameFor('Ofen ü')).toBe('Ofen%20%C3%BC');
    // Written for real: one file, in the folder.
    const folder = mkdtempSync(join(tmpdir(), 'plantwire-file-name-'));
    try {
      for (const name of ['a/b/c', '../escape', '..', 'x\\y', ' ']) {
        writeFileSync(join(folder, `${fileNameFor(name)}.json`), '{}');
      }
      expect(readdirSync(folder)).toHaveLength(5);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('gives different names different files: an encoded name never equals a plain one', () => {
    const names = ['a/b', 'a%2Fb', 'a.b', 'a%2Eb', 'a..b', 'a%2E%2Eb', '', '%'];
    const files = names.map(fileNameFor);
    expect(new Set(files).size).toBe(names.length);
  });

  it('keeps an overlong name within a file name, its start readable and the whole hashed', () => {
    const long = 'x/'.repeat(200);
    const file = fileNameFor(long);
    expect(file.length).toBeLessThanOrEqual(160);
    expect(file.startsWith('x%2Fx%2F')).toBe(true);
    expect(fileNameFor(`${long}y`)).not.toBe(file);
    expect(fileNameFor('a'.repeat(300)).length).toBeLessThanOrEqual(160);
  });
});
