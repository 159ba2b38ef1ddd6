import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources; the built packages are exercised by the real Node-RED process tests.
    alias: {
      '@plantwire/telemetry': src('telemetry'),
      '@plantwire/node-shell': src('node-shell'),
      '@plantwire/testkit': src('testkit'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    // Real QuestDB and Node-RED processes start inside tests: slow on a busy 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
