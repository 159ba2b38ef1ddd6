// Generates src/generated/point-v1.ts from schema/point.v1.json so the TypeScript types come from the one schema.
// test/types.test.ts fails when the committed file is stale.
import { compileFromFile } from 'json-schema-to-typescript';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const schemaPath = fileURLToPath(new URL('../schema/point.v1.json', import.meta.url));
export const typesPath = fileURLToPath(new URL('../src/generated/point-v1.ts', import.meta.url));

export function generatePointTypes() {
  return compileFromFile(schemaPath, {
    bannerComment: '/* Generated from schema/point.v1.json by scripts/gen-types.mjs: do not edit. */',
    additionalProperties: false,
    style: { singleQuote: true, printWidth: 110 },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(typesPath, await generatePointTypes());
}
