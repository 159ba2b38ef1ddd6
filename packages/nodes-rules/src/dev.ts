// What only this repository's scripts use, built to dist/dev.js and not published: the NAB harness
// (scripts/nab.mjs). Users get the detectors from src/index.ts.
export { runNab, type NabFileResult, type NabOptions, type NabReport } from './core/nab/harness.js';
