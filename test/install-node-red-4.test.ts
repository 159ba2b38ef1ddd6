import { afterAll, beforeAll, describe, it } from 'vitest';
import { currentNodeRuntime } from '@plantwire/testkit';
import { installSuite } from './install.js';

const suite = installSuite({ nodeRedVersion: '4.1.15', runtime: currentNodeRuntime });

describe('installed from a registry into Node-RED 4.1 on Node 20', () => {
  beforeAll(suite.setup, 600_000);
  afterAll(suite.teardown);
  it('with npm install in the userDir', suite.npmInstall, 900_000);
  it('with the Palette Manager (POST /nodes)', suite.paletteInstall, 900_000);
});
