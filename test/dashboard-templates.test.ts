// The dashboard's Vue templates (scripts/flows/templates, as built into flows/dashboard.json): their script parts
// run here on a message as Dashboard 2.0 gives it (this.msg), without a browser.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const dashboard = JSON.parse(readFileSync(`${root}/flows/dashboard.json`, 'utf8')) as {
  id: string;
  format?: string;
}[];

interface Component {
  data?: () => Record<string, unknown>;
  computed?: Record<string, () => unknown>;
  methods?: Record<string, (...args: unknown[]) => unknown>;
}

/** The template widget `id` as a plain object: its data, computed values (as getters) and methods on one `this`. */
function mount(id: string, msg: unknown): Record<string, unknown> & { sent: unknown[] } {
  const format = dashboard.find((node) => node.id === id)!.format!;
  const script = /<script>([\s\S]*)<\/script>/.exec(format)![1]!.replace('export default', 'return');
  const component = new Function(script)() as Component;
  const sent: unknown[] = [];
  const self: Record<string, unknown> & { sent: unknown[] } = {
    msg,
    sent,
    send: (m: unknown) => sent.push(m),
  };
  Object.assign(self, component.data?.call(self));
  for (const [name, get] of Object.entries(component.computed ?? {}))
    Object.defineProperty(self, name, { get: () => get.call(self) });
  for (const [name, method] of Object.entries(component.methods ?? {})) self[name] = method.bind(self);
  return self;
}

describe('the active alarms list', () => {
  const alarm = (id: string, priority: string, activeSince: number, value = 10) => ({
    id,
    priority,
    activeSince,
    value,
    limit: 8,
    state: 'active-unack',
  });

  it('keeps its order when the edge moves the alarm last acted on to the top: priority, then the oldest first', () => {
    const a = alarm('a', 'high', 1000);
    const b = alarm('b', 'high', 2000);
    const c = alarm('c', 'critical', 3000);
    const d = alarm('d', 'low', 500);
    const order = (list: unknown[]) =>
      (mount('dash-active', { payload: list }).alarms as { id: string }[]).map((x) => x.id);
    expect(order([a, b, c, d])).toEqual(['c', 'a', 'b', 'd']);
    // b shelved: the edge's list now starts with it.
    expect(order([{ ...b, state: 'shelved' }, a, c, d])).toEqual(['c', 'a', 'b', 'd']);
  });

  it('shows values as the alarm history does: 10, not 10.0; 10.46 as 10.5', () => {
    const view = mount('dash-active', { payload: [] }) as unknown as { number(v: unknown): string };
    expect(view.number(10)).toBe('10');
    expect(view.number(10.46)).toBe('10.5');
    expect(view.number(undefined)).toBe('');
  });
});

describe('the Faults page', () => {
  it("shows each machine's running faults and when they started (UTC)", () => {
    const view = mount('dash-faults', {
      payload: {
        running: { 'line-03/pump-03': { energy_spike: '2026-01-05T01:15:03.000000Z' } },
        updated: 0,
      },
    }) as unknown as { since(m: object, fault: string): string };
    expect(view.since({ line: 'line-03', machine: 'pump-03' }, 'energy_spike')).toBe('01:15:03 UTC');
    expect(view.since({ line: 'line-03', machine: 'pump-03' }, 'dropout')).toBe('');
    expect(view.since({ line: 'line-01', machine: 'cnc-01' }, 'energy_spike')).toBe('');
  });
});

describe('the Edge health panel', () => {
  it('says when the last error happened, and that it is past once acks resumed', () => {
    const view = mount('dash-edge-panel', { payload: { stores: {}, link: {} } }) as unknown as {
      errorWhen(s: object): string;
    };
    const at = Date.parse('2026-01-05T01:15:03Z');
    expect(view.errorWhen({ lastError: 'x', errorAt: at, errorAtKnown: true, errorPast: false })).toBe(
      'at 01:15:03 UTC',
    );
    expect(view.errorWhen({ lastError: 'x', errorAt: at, errorAtKnown: true, errorPast: true })).toBe(
      'at 01:15:03 UTC, past: acks resumed since',
    );
    expect(view.errorWhen({ lastError: 'x', errorAt: at, errorAtKnown: false, errorPast: true })).toBe(
      'before 01:15:03 UTC, past: acks resumed since',
    );
  });
});
