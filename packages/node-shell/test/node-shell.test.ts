import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { nodeShell, registerNode, setting } from '../src/index.js';

/** A node and a RED whose RED._ shows the key and its parameters, so the tests see what is looked up. */
function fake(events = new EventEmitter()) {
  const node = Object.assign(new EventEmitter(), {
    errors: [] as string[],
    warnings: [] as string[],
    statuses: [] as unknown[],
    error(text: string) {
      this.errors.push(text);
    },
    warn(text: string) {
      this.warnings.push(text);
    },
    status(status: unknown) {
      this.statuses.push(status);
    },
  });
  const registered: unknown[] = [];
  const RED = {
    _: (key: string, params?: object) => (params ? `${key} ${JSON.stringify(params)}` : key),
    nodes: { registerType: (...args: unknown[]) => registered.push(args) },
    events,
  };
  return { node, RED, registered, shell: nodeShell(RED as never, node as never, 'my-node') };
}

describe('nodeShell', () => {
  it("looks texts up under the node's type, and the shell's own under node-shell", () => {
    const { shell } = fake();
    expect(shell.text('status.queued', { rows: 3 })).toBe('my-node.status.queued {"rows":3}');
    expect(shell.error('errors.bad').message).toBe('my-node: my-node.errors.bad');
    expect(shell.notConfigured().message).toBe('my-node: node-shell.notConfigured');
  });

  it('refuses a bad setup with node.error and a red status', () => {
    const { node, shell } = fake();
    expect(() => shell.settings({ rows: 'x' } as never, { rows: setting.integer(1) })).toThrow(
      'node-shell.setting.integer',
    );
    shell.refuseSetup(new Error('rows must be a whole number'));
    expect(node.errors).toEqual(['my-node: rows must be a whole number']);
    expect(node.statuses).toEqual([{ fill: 'red', shape: 'ring', text: 'rows must be a whole number' }]);
  });

  it('guards a timer: what it throws is logged and shown, and the timer goes on', () => {
    const { node, shell } = fake();
    let runs = 0;
    const tick = shell.guard(() => {
      runs++;
      if (runs === 1) throw new Error('database or disk is full');
    });
    expect(tick).not.toThrow();
    expect(node.errors).toEqual(['my-node: database or disk is full']);
    expect(node.statuses).toEqual([{ fill: 'red', shape: 'ring', text: 'database or disk is full' }]);
    tick();
    expect(runs).toBe(2);
    expect(node.errors).toHaveLength(1);
  });

  it('runs every start after the flows start once, one that throws reported and not in the way of the others', () => {
    const events = new EventEmitter();
    const [first, second] = [fake(events), fake(events)];
    const runs: string[] = [];
    first.shell.afterFlowsStart(() => {
      runs.push('first');
      throw new Error('no list');
    });
    second.shell.afterFlowsStart(() => runs.push('second'));
    expect(() => events.emit('flows:started')).not.toThrow();
    expect(runs).toEqual(['first', 'second']);
    expect(first.node.errors).toEqual(['my-node: no list']);
    events.emit('flows:started'); // the next deploy: each ran once
    expect(runs).toEqual(['first', 'second']);
  });

  it('closes with (removed, done), waiting for a promise and reporting a failure', async () => {
    const { node, shell } = fake();
    const seen: boolean[] = [];
    shell.onClose(async (removed) => {
      seen.push(removed);
      throw new Error('disk gone');
    });
    await new Promise<void>((resolve) => node.emit('close', true, resolve));
    expect(seen).toEqual([true]);
    expect(node.errors).toEqual(['my-node: disk gone']);
  });

  it('keeps a state only for what it was saved for, and saves at most as often as told', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const dir = mkdtempSync(join(tmpdir(), 'plantwire-shell-'));
    try {
      const path = join(dir, 'learned.json');
      const validFor = { version: '1.0.0', settings: { slots: 24 } };
      let state = { seen: 3 };
      const file = fake().shell.keepState(path, {
        snapshot: () => state,
        restore: () => {},
        saveEveryMs: 60_000,
        validFor,
      });
      file.saveSoon();
      vi.advanceTimersByTime(59_999);
      expect(() => readFileSync(path)).toThrow(/ENOENT/);
      vi.advanceTimersByTime(1);
      await vi.waitFor(() => expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ validFor, state }));

      const restored: unknown[] = [];
      const same = fake();
      same.shell.keepState(path, {
        snapshot: () => state,
        restore: (saved) => restored.push(saved),
        validFor,
      });
      expect(restored).toEqual([{ seen: 3 }]);

      const other = fake();
      state = { seen: 4 };
      other.shell.keepState(path, {
        snapshot: () => state,
        restore: (saved) => restored.push(saved),
        validFor: { ...validFor, settings: { slots: 48 } },
      });
      expect(restored).toHaveLength(1);
      expect(other.node.warnings).toEqual([`my-node: node-shell.state.otherSettings {"path":"${path}"}`]);
    } finally {
      vi.useRealTimers();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("registers the type with its defaults and number ranges as the editor's settings <camelCaseType>Defaults and Numbers", () => {
    const { RED, registered } = fake();
    const constructor = () => undefined;
    registerNode(RED as never, 'my-node', constructor, {
      rows: setting.integer(5, { min: 1 }),
      share: setting.number(0.5, { max: 1 }),
      name: setting.text(),
    });
    expect(registered).toEqual([
      [
        'my-node',
        constructor,
        {
          settings: {
            myNodeDefaults: { value: { rows: '5', share: '0.5', name: '' }, exportable: true },
            myNodeNumbers: {
              value: { rows: { min: 1, integer: true }, share: { min: 0, max: 1, integer: false } },
              exportable: true,
            },
          },
        },
      ],
    ]);
  });
});
