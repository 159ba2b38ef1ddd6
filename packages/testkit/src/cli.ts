#!/usr/bin/env node
// `plantwire-testkit fetch-questdb`: used by scripts/plantwire.mjs and .ci/run to fetch the jar before tests.
import { ensureQuestDbJar, javaMajorVersion } from './questdb.js';

const [command] = process.argv.slice(2);
try {
  if (command === 'fetch-questdb') {
    javaMajorVersion();
    console.log(ensureQuestDbJar((line) => console.log(`[plantwire] ${line}`)));
  } else {
    console.error('usage: plantwire-testkit fetch-questdb');
    process.exitCode = 2;
  }
} catch (error) {
  console.error(`[plantwire] ${(error as Error).message}`);
  process.exitCode = 1;
}
