// A node's state file (threshold-alarm's alarms, alarm-notify's pending notifications, what anomaly-detect and
// forecast learned): JSON, replaced atomically (write a temporary file, fsync, rename) so a crash mid-write leaves
// the previous state, never half of a file. Saved at most once per throttle period after a change: a flood of
// changes costs one write, not one per message. The state is read at once and written in the background, so a
// big one (thousands of series learned: tens of MB) does not hold up the messages; a save on close waits for it.
// The file is its user's only (0600), as are the folders it creates (0700).
import { readFileSync, renameSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What loading found wrong, if anything: a file that could not be taken is moved aside (or says why not). */
export interface StateFileLoad {
  /** Why the file could not be read or taken; undefined when it was taken or there was none. */
  unreadable?: string;
  /** Where the unreadable file now is. */
  movedTo?: string;
  /** Why it could not be moved aside (it stays, and the next save replaces it). */
  moveError?: string;
}

export class StateFile {
  /** Why the last save failed; '' once a save succeeds. */
  saveError = '';
  private saveTimer: NodeJS.Timeout | undefined;
  /** The write in progress, if any: one at a time, so an older state never lands over a newer one. */
  private writing: Promise<void> | undefined;

  constructor(
    readonly path: string,
    /** The state to save, read at save time. */
    private readonly state: () => unknown,
    /** Told when a save fails, and when one succeeds after a failure (error undefined). */
    private readonly onSaveResult: (error: Error | undefined) => void,
    private readonly throttleMs = 1000,
  ) {}

  /**
   * Hands the saved state to `take`, if there is a file. A file that is not JSON, or that `take` throws on, is
   * moved aside (kept for a look, never read again) so the node starts empty instead of failing on every start.
   */
  load(take: (state: unknown) => void): StateFileLoad {
    try {
      const state = this.read();
      if (state !== undefined) take(state);
      return {};
    } catch (error) {
      const unreadable = (error as Error).message;
      const movedTo = `${this.path}.corrupt-${Date.now()}`;
      try {
        renameSync(this.path, movedTo);
      } catch (moveError) {
        return { unreadable, moveError: (moveError as Error).message };
      }
      return { unreadable, movedTo };
    }
  }

  /** Saves within the throttle period (one save for every change until then). */
  saveSoon(): void {
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      if (this.writing) return this.saveSoon(); // a write still going: this one comes a period later
      void this.save();
    }, this.throttleMs);
  }

  /**
   * Saves now, once a write in progress has ended (the last save wins): the state is read when this one's turn
   * comes. Never rejects: a failure is kept in saveError, reported, and tried again on the next save.
   */
  async save(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    while (this.writing) await this.writing;
    let text: string;
    try {
      text = JSON.stringify(this.state());
    } catch (error) {
      return this.saved(error as Error);
    }
    this.writing = this.write(text)
      .then(
        () => this.saved(undefined),
        (error: Error) => this.saved(error),
      )
      .finally(() => {
        this.writing = undefined;
      });
    await this.writing;
  }

  private saved(error: Error | undefined): void {
    if (error) {
      this.saveError = error.message;
      this.onSaveResult(error);
    } else if (this.saveError) {
      this.saveError = '';
      this.onSaveResult(undefined);
    }
  }

  private async write(text: string): Promise<void> {
    // Alarm history and pending notifications: folders made here and the file are this user's only.
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.tmp`;
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.chmod(0o600); // a temporary file left by a crash keeps its old mode through open
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.path);
  }

  /** The parsed file, or undefined when there is none yet; throws on a file that is not JSON. */
  private read(): unknown {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return JSON.parse(text);
  }
}
