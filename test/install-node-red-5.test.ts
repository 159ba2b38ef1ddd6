import { afterAll, beforeAll, describe, it } from 'vitest';
import { ensureNode22 } from '@plantwire/testkit';
import { installSuite } from './install.js';

const suite = installSuite({
  nodeRedVersion: '5.0.7',
  runtime: () => ensureNode22((line) => console.log(line)),
});

describe('installed from a registry into Node-RED 5 on Node 22', () => {
  beforeAll(suite.setup, 600_000);
  afterAll(suite.teardown);
  it('with npm install in the userDir', suite.npmInstall, 900_000);
  it('with the Palette Manager (POST /nodes)', suite.paletteInstall, 900_000);
});
