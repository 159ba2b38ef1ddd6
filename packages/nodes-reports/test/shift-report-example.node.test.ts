// The first example's schedule, in the Node-RED runtime: its inject ticks every 5 minutes of the server's clock
// and its switch passes the ticks at the ends of machine-sim's shifts in UTC, whatever the server's time zone.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { collect, coreNode, nodeRedTestHelper, until } from '@plantwire/testkit';

const helper = nodeRedTestHelper();
const example = JSON.parse(
  readFileSync(new URL('../examples/01 - Scheduled shift report.json', import.meta.url), 'utf8'),
) as { id: string; type: string; crontab?: string; wires?: string[][] }[];

describe('example "01 - Scheduled shift report": the schedule', () => {
  beforeAll(() => helper.startServer());
  afterEach(async () => {
    vi.useRealTimers();
    await helper.unload();
  });
  afterAll(() => helper.stopServer());

  it('ticks every 5 minutes into a switch on the UTC time', () => {
    const tick = example.find((node) => node.id === 'pr-tick')!;
    expect(tick.crontab).toBe('*/5 * * * *');
    expect(tick.wires).toEqual([['pr-shift-end']]);
    expect(example.find((node) => node.id === 'pr-shift-end')!.wires).toEqual([['pr-report']]);
    // No other scheduled inject: each of them would run in the server's local time.
    const scheduled = example.filter((node) => node.type === 'inject' && node.crontab);
    expect(scheduled.map((node) => node.id)).toEqual(['pr-tick']);
  });

  it('passes 06:05, 14:05 and 22:05 UTC, and no other tick', async () => {
    const shiftEnd = example.find((node) => node.id === 'pr-shift-end')!;
    await helper.load(coreNode('function/10-switch'), [
      { ...shiftEnd, wires: [['report']] },
      { id: 'report', type: 'helper', z: 'pr-tab' },
    ]);
    const passed = collect(helper, 'report');
    const node = helper.getNode('pr-shift-end')!;
    // Only Date is faked: Node-RED's own timers run as usual. The switch evaluates its JSONata asynchronously, so
    // each tick is given time to pass before the clock moves on.
    vi.useFakeTimers({ toFake: ['Date'] });
    const ticks = ['05:55', '06:00', '06:05', '06:10', '14:05', '21:05', '22:05', '23:05'];
    for (const time of ticks) {
      vi.setSystemTime(new Date(`2026-01-05T${time}:00.004Z`));
      node.receive({ payload: time });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    vi.useRealTimers();
    await until('the shift ends', () => passed.length === 3, 5_000);
    expect(passed.map((msg) => msg.payload)).toEqual(['06:05', '14:05', '22:05']);
  });
});
