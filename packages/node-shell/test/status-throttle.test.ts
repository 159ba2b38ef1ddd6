import { afterEach, describe, expect, it, vi } from 'vitest';
import { STATUS_TEXT_MAX, StatusLight, statusOf, Throttle } from '../src/index.js';

describe('status', () => {
  it('has one look per kind and cuts long texts', () => {
    expect(statusOf('ok', 'fine')).toEqual({ fill: 'green', shape: 'dot', text: 'fine' });
    expect(statusOf('alert', '1 unack')).toEqual({ fill: 'red', shape: 'dot', text: '1 unack' });
    expect(statusOf('waiting', 'retrying')).toEqual({ fill: 'yellow', shape: 'ring', text: 'retrying' });
    expect(statusOf('error', 'x'.repeat(100)).text).toHaveLength(STATUS_TEXT_MAX);
  });

  it('does not send a status equal to the one shown', () => {
    const shown: unknown[] = [];
    const light = new StatusLight({ status: (status) => shown.push(status) });
    light.ok('3 queued');
    light.ok('3 queued');
    light.warn('3 queued');
    light.ok('3 queued');
    expect(shown.map((s) => (s as { fill: string }).fill)).toEqual(['green', 'yellow', 'green']);
  });
});

describe('Throttle', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs at most once per interval and always runs after the last request', () => {
    vi.useFakeTimers();
    let runs = 0;
    const throttle = new Throttle(250, () => runs++);
    throttle.request();
    throttle.request();
    throttle.request();
    expect(runs).toBe(1);
    vi.advanceTimersByTime(249);
    expect(runs).toBe(1);
    vi.advanceTimersByTime(1);
    expect(runs).toBe(2);
    vi.advanceTimersByTime(1000);
    expect(runs).toBe(2);
  });

  it('runs now when asked, and drops a scheduled run on cancel', () => {
    vi.useFakeTimers();
    let runs = 0;
    const throttle = new Throttle(250, () => runs++);
    throttle.request();
    throttle.request();
    throttle.now();
    expect(runs).toBe(2);
    vi.advanceTimersByTime(1000);
    expect(runs).toBe(2);
    throttle.now();
    throttle.request();
    throttle.cancel();
    vi.advanceTimersByTime(1000);
    expect(runs).toBe(3);
  });
});
