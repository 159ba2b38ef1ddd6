// A node's state file (threshold-alarm's alarms, alarm-notify's pending notifications): JSON, replaced atomically
// (write a temporary file, fsync, rename) so a crash mid-write leaves the previous state, never half of a file.
// Saved at most once per throttle period after a change: a flood of changes costs one write, not one per message.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
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
    this.saveTimer ??= setTimeout(() => this.save(), this.throttleMs);
  }

  /** Saves now; a failure is kept in saveError and tried again on the next save. */
  save(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    try {
      this.write(this.state());
    } catch (error) {
      this.saveError = (error as Error).message;
      this.onSaveResult(error as Error);
      return;
    }
    if (this.saveError) {
      this.saveError = '';
      this.onSaveResult(undefined);
    }
  }

  private write(state: unknown): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, JSON.stringify(state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
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
