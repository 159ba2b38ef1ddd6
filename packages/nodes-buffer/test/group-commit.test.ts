import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/core/group-commit.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it("commits one turn's messages in one write, each done after it", async () => {
    const writes: unknown[][] = [];
    const done: string[] = [];
    const commits = new GroupCommit(
      (items) => writes.push([...items]),
      (error) => done.push(`committed ${error?.message ?? 'ok'}`),
    );
    commits.add({ items: [1, 2], done: () => done.push('a') });
    commits.add({ items: [3], done: () => done.push('b') });
    expect(commits.waiting).toBe(2);
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual([[1, 2, 3]]);
    expect(done).toEqual(['a', 'b', 'committed ok']);
  });

  it('fails only the bad message of a group: the others are committed one by one', async () => {
    const stored: unknown[] = [];
    const results: (string | undefined)[] = [];
    const commits = new GroupCommit(
      (items) => {
        if (items.includes('bad')) throw new Error('refused');
        stored.push(...items);
      },
      (error) => results.push(`last error: ${error?.message}`),
    );
    for (const items of [[1], ['bad'], [2]])
      commits.add({ items, done: (error) => results.push(error?.message) });
    await turn();
    expect(stored).toEqual([1, 2]);
    expect(results).toEqual([undefined, 'refused', undefined, 'last error: refused']);
  });

  it('commits at once when asked (on close), and the scheduled turn finds nothing', async () => {
    let writes = 0;
    let committed = 0;
    const commits = new GroupCommit(
      () => writes++,
      () => committed++,
    );
    commits.add({ items: [1], done: () => undefined });
    commits.commit();
    await turn();
    expect([writes, committed]).toEqual([1, 1]);
  });
});
