#!/usr/bin/env node
// `plantwire-testkit fetch-questdb` / `fetch-kafka`: used by scripts/plantwire.mjs and .ci/run to fetch the jars
// before tests. Progress goes to stderr (shown while the setup hides stdout), the jar path to stdout.
import { ensureKafkaLibs } from './kafka.js';
import { ensureQuestDbJar, javaMajorVersion } from './questdb.js';

const [command] = process.argv.slice(2);
try {
  if (command === 'fetch-questdb') {
    javaMajorVersion();
    console.log(ensureQuestDbJar((line) => console.error(`[plantwire] ${line}`)));
  } else if (command === 'fetch-kafka') {
    javaMajorVersion();
    console.log(ensureKafkaLibs((line) => console.error(`[plantwire] ${line}`)));
  } else {
    console.error('usage: plantwire-testkit fetch-questdb | fetch-kafka');
    process.exitCode = 2;
  }
} catch (error) {
  console.error(`[plantwire] ${(error as Error).message}`);
  process.exitCode = 1;
}
