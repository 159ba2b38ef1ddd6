import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StateFile } from '../src/state-file.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plantwire-state-'));
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

describe('StateFile', () => {
  it('keeps the state to this user under umask 022: folders it creates 0700, the file 0600', async () => {
    const umask = process.umask(0o022);
    try {
      const mode = (path: string) => statSync(join(dir, path)).mode & 0o777;
      const path = join(dir, 'state', 'alarms', 'a.json');
      // A temporary file left by a crash under an older version, readable by all.
      mkdirSync(join(dir, 'state'), { mode: 0o755 });
      writeFileSync(join(dir, 'state', 'old.json.tmp'), '{}', { mode: 0o644 });
      await new StateFile(
        path,
        () => ({ alarms: [1] }),
        () => {},
      ).save();
      expect(mode('state')).toBe(0o755); // a folder that was there keeps its mode
      expect(mode('state/alarms')).toBe(0o700);
      expect(mode('state/alarms/a.json')).toBe(0o600);
      const old = new StateFile(
        join(dir, 'state', 'old.json'),
        () => ({ alarms: [2] }),
        () => {},
      );
      await old.save();
      expect(mode('state/old.json')).toBe(0o600);
    } finally {
      process.umask(umask);
    }
  });

  it('saves and loads back, creating its folder; no file is no state', async () => {
    const path = join(dir, 'alarms', 'a.json');
    let state: unknown = { version: 1, alarms: [1] };
    const file = new StateFile(
      path,
      () => state,
      () => {},
    );
    const taken: unknown[] = [];
    expect(file.load((s) => taken.push(s))).toEqual({});
    expect(taken).toEqual([]);
    await file.save();
    expect(file.load((s) => taken.push(s))).toEqual({});
    expect(taken).toEqual([{ version: 1, alarms: [1] }]);
    expect(readdirSync(join(dir, 'alarms'))).toEqual(['a.json']); // the temporary file is renamed, not left
    state = { version: 1, alarms: [] };
    await file.save();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(state);
  });

  it('moves a file that is not JSON, or that the owner refuses, aside and starts empty', () => {
    const path = join(dir, 'a.json');
    const file = new StateFile(
      path,
      () => ({}),
      () => {},
    );
    writeFileSync(path, '{"version": 1, "alar');
    const broken = file.load(() => expect.unreachable());
    expect(broken.unreadable).toMatch(/JSON/);
    expect(broken.movedTo).toMatch(/a\.json\.corrupt-\d+$/);
    expect(existsSync(broken.movedTo!)).toBe(true);
    expect(existsSync(path)).toBe(false);

    writeFileSync(path, '{"version": 9}');
    const refused = file.load(() => {
      throw new Error('not an alarm state snapshot (version 1)');
    });
    expect(refused).toMatchObject({ unreadable: 'not an alarm state snapshot (version 1)' });
    expect(existsSync(path)).toBe(false);
  });

  it('says why an unreadable file could not be moved aside', () => {
    vi.useFakeTimers({ now: 1000 });
    const path = join(dir, 'a.json');
    mkdirSync(path); // a directory: unreadable as a file
    mkdirSync(join(dir, 'a.json.corrupt-1000', 'taken'), { recursive: true }); // and its new name is taken
    const result = new StateFile(
      path,
      () => ({}),
      () => {},
    ).load(() => expect.unreachable());
    expect(result).toEqual({
      unreadable: expect.stringMatching(/EISDIR/),
      moveError: expect.stringMatching(/ENOTEMPTY|EEXIST/),
    });
  });

  it('saves once per throttle period however many changes come, and reports a failed save until one succeeds', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const path = join(dir, 'a.json');
    let saves = 0;
    const results: (string | undefined)[] = [];
    const file = new StateFile(
      path,
      () => ({ saves: ++saves }),
      (error) => results.push(error?.message),
      1000,
    );
    for (let i = 0; i < 50; i++) file.saveSoon();
    vi.advanceTimersByTime(999);
    expect(saves).toBe(0);
    vi.advanceTimersByTime(1);
    expect(saves).toBe(1);
    await vi.waitFor(() => expect(existsSync(path)).toBe(true));
    expect(results).toEqual([]); // a save that works after one that worked tells nothing

    mkdirSync(join(path + '.tmp', 'in-the-way'), { recursive: true });
    file.saveSoon();
    vi.advanceTimersByTime(1000);
    await vi.waitFor(() => expect(file.saveError).toMatch(/EISDIR/));
    expect(results).toHaveLength(1);
    rmSync(path + '.tmp', { recursive: true });
    await file.save();
    expect(file.saveError).toBe('');
    expect(results).toEqual([expect.stringMatching(/EISDIR/), undefined]);
  });

  it('writes in the background: the messages go on meanwhile, and a save on close waits for it', async () => {
    const path = join(dir, 'learned.json');
    let version = 0;
    const results: (string | undefined)[] = [];
    const file = new StateFile(
      path,
      () => ({ version: ++version }),
      (error) => results.push(error?.message),
      10,
    );
    const first = file.save();
    // The state was read at once; its write goes on after this turn of the event loop.
    expect(version).toBe(1);
    expect(existsSync(path)).toBe(false);
    // A save on close waits for that write, then reads the newest state.
    const close = file.save();
    expect(version).toBe(1);
    await Promise.all([first, close]);
    expect(version).toBe(2);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 2 });

    mkdirSync(join(path + '.tmp', 'in-the-way'), { recursive: true });
    file.saveSoon();
    await vi.waitFor(() => expect(file.saveError).toMatch(/EISDIR/));
    expect(results).toEqual([expect.stringMatching(/EISDIR/)]);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 2 });
    rmSync(path + '.tmp', { recursive: true });
    file.saveSoon();
    await vi.waitFor(() => expect(file.saveError).toBe(''));
    expect(results).toEqual([expect.stringMatching(/EISDIR/), undefined]);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 4 });
  });

  it('writes one save at a time, the newest state last, and a state that cannot be read is a failed save', async () => {
    const path = join(dir, 'a.json');
    let version = 0;
    let broken = false;
    const results: (string | undefined)[] = [];
    const file = new StateFile(
      path,
      () => {
        if (broken) throw new Error('circular');
        return { version: ++version };
      },
      (error) => results.push(error?.message),
    );
    await Promise.all([file.save(), file.save(), file.save()]);
    expect(version).toBe(3);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 3 });
    expect(readdirSync(dir)).toEqual(['a.json']);

    broken = true;
    await file.save();
    expect(file.saveError).toBe('circular');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 3 }); // the last good state stays
    broken = false;
    await file.save();
    expect(results).toEqual(['circular', undefined]);
  });
});
