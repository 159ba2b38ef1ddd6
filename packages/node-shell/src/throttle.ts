// Runs a costly report (a status, a list, stats) at most once per interval without losing the last change: a
// call inside the interval schedules one trailing run at its end.
export class Throttle {
  private ranAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly everyMs: number,
    private readonly run: () => void,
  ) {}

  /** Runs now if the interval has passed, otherwise once at its end. */
  request(): void {
    const wait = this.ranAt + this.everyMs - Date.now();
    if (wait <= 0) this.now();
    else
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.now();
      }, wait);
  }

  /** Runs now, whatever the interval; a scheduled run is no longer needed. */
  now(): void {
    this.cancel();
    this.ranAt = Date.now();
    this.run();
  }

  /** Drops a scheduled run (on close). */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
