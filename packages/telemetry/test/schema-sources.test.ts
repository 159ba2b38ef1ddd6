import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { IDENTIFIER_SOURCE, matchesIdentifier, matchesUuid, UUID_SOURCE } from '../src/patterns.js';
import { pointSchema } from '@plantwire/telemetry';
// @ts-expect-error: a plain .mjs script without types
import { generatePointTypes, typesPath } from '../scripts/gen-types.mjs';

describe('the schema file is the one source', () => {
  it('the committed TypeScript types are generated from it (npm run gen:types -w @plantwire/telemetry)', async () => {
    expect(await readFile(typesPath, 'utf8')).toBe(await generatePointTypes());
  });

  it('the fast matchers serve exactly the schema patterns', () => {
    expect(pointSchema.definitions.identifier.pattern).toBe(IDENTIFIER_SOURCE);
    expect(pointSchema.properties.id.pattern).toBe(UUID_SOURCE);
  });
});

describe('the fast matchers agree with the regular expressions', () => {
  // Seeded so a failure can be replayed.
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = 'aZ09._-/ +#é\u0000fF-';
  const randomString = (maxLength: number) =>
    Array.from(
      { length: Math.floor(rand() * maxLength) },
      () => alphabet[Math.floor(rand() * alphabet.length)],
    ).join('');

  it('on identifiers', () => {
    const re = new RegExp(IDENTIFIER_SOURCE);
    for (let i = 0; i < 20_000; i++) {
      const s = randomString(70);
      expect(matchesIdentifier(s), s).toBe(re.test(s));
    }
    for (const s of ['a', 'a'.repeat(64), 'a'.repeat(65), '', '-a', 'A.b_c-9'])
      expect(matchesIdentifier(s)).toBe(re.test(s));
  });

  it('on UUIDs', () => {
    const re = new RegExp(UUID_SOURCE);
    const hex = '0123456789abcdefABCDEFg-';
    for (let i = 0; i < 20_000; i++) {
      const chars = Array.from({ length: 36 }, (_, k) =>
        [8, 13, 18, 23].includes(k) && rand() < 0.97
          ? '-'
          : hex[Math.floor(rand() * (rand() < 0.97 ? 22 : 24))],
      );
      const s = chars.join('').slice(0, rand() < 0.95 ? 36 : 35);
      expect(matchesUuid(s), s).toBe(re.test(s));
    }
  });
});
