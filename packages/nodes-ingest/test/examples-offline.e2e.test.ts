import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  shippedExamples,
  sleep,
  startNodeRed,
  type FlowNode,
  type NodeRed,
} from '@plantwire/testkit';

describe('every shipped example, deployed with nothing at its QuestDB and MQTT addresses', () => {
  let red: NodeRed;
  const examples = shippedExamples().map((file) => ({
    pkg: basename(dirname(dirname(file))),
    flow: JSON.parse(readFileSync(file, 'utf8')) as FlowNode[],
  }));

  beforeAll(async () => {
    red = await startNodeRed();
  });
  afterAll(async () => {
    await red?.stop();
  });

  it('finds the examples of every package', () => {
    expect(new Set(examples.map((e) => e.pkg)).size).toBeGreaterThanOrEqual(4);
  });

  it('logs each distinct error or warning at most once in 15 s (the flows tick, retry and reconnect meanwhile)', async () => {
    // Closed ports (taken and released) instead of the examples' 9000 and 1883, where another server may run here;
    // an example that posts to its own Node-RED (1880) posts to this one.
    const questdb = `http://127.0.0.1:${await freePort()}`;
    const mqttPort = String(await freePort());
    const flows = examples.flatMap(({ flow }) =>
      flow.map((node) => {
        if (node.type === 'questdb-config') return { ...node, url: questdb };
        if (node.type === 'mqtt-broker') return { ...node, broker: '127.0.0.1', port: mqttPort };
        if (node.type === 'http request' && typeof node.url === 'string')
          return { ...node, url: node.url.replace(':1880/', `:${red.port}/`) };
        return node;
      }),
    );
    const since = red.log().length;
    await red.deploy(flows);
    await sleep(15_000);
    // Without the timestamp: "[error] [questdb-query:latest values] ...".
    const complaints = red
      .log()
      .slice(since)
      .split('\n')
      .map((line) => /\[(error|warn)\].*/.exec(line)?.[0])
      .filter((line) => line !== undefined);
    const repeated = [...new Set(complaints)].filter(
      (line) => complaints.indexOf(line) !== complaints.lastIndexOf(line),
    );
    expect(repeated, `repeated errors or warnings:\n${red.log().slice(since)}`).toEqual([]);
  }, 60_000);
});
