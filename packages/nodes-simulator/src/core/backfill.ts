// A backfill run: the plant of a past span generated batch by batch, one batch per event-loop turn, so the
// flow (and the live simulation beside it) keeps moving while it runs.
import type { Point } from '@plantwire/telemetry';
import { SimulatorError, type SimulatorConfig } from './config.js';
import type { SimulatorEvent } from './events.js';
import { PlantSimulator } from './plant-simulator.js';
import type { Command } from './commands.js';

/** Points per batch: one array per event-loop turn. */
export const BACKFILL_BATCH_POINTS = 10_000;

export interface BackfillSpan {
  from: number;
  to: number;
}

/** The longest span one backfill generates: a mistyped `from` (a year 1970) would run for hours and flood the store. */
export const MAX_BACKFILL_DAYS = 366;

/**
 * The span a backfill command asks for: `from`..`to`, or the `hours` before `to` (default now). A span in the
 * future is refused: its points would sit in the history ahead of the live ones.
 */
export function backfillSpan(command: Pick<Command, 'hours' | 'from' | 'to'>, now: number): BackfillSpan {
  const to = command.to ?? now;
  const from = command.from ?? to - command.hours! * 3_600_000;
  if (!(from < to)) throw new SimulatorError('backfill: from must be before to');
  if (to > now)
    throw new SimulatorError(`backfill: to must not be in the future (got ${new Date(to).toISOString()})`);
  const days = (to - from) / 86_400_000;
  if (days > MAX_BACKFILL_DAYS)
    throw new SimulatorError(
      `backfill: the span must be at most ${MAX_BACKFILL_DAYS} days (got ${Math.round(days)} days)`,
    );
  return { from, to };
}

export interface BackfillBatch {
  points: Point[];
  events: SimulatorEvent[];
  /** Share of the span done, 0..1, by the last point's event time. */
  progress: number;
  /** Points generated so far, this batch included. */
  total: number;
}

export interface BackfillHandlers {
  batch(batch: BackfillBatch): void;
  finished(total: number): void;
}

export class BackfillRun {
  private cancelled = false;
  private total = 0;
  private readonly batches: Generator<{ points: Point[]; events: SimulatorEvent[] }>;

  constructor(
    config: SimulatorConfig,
    readonly span: BackfillSpan,
    private readonly handlers: BackfillHandlers,
    batchPoints = BACKFILL_BATCH_POINTS,
  ) {
    this.batches = PlantSimulator.backfill(config, span.from, span.to, batchPoints);
  }

  /** Sends the first batch now, the next ones one per event-loop turn. */
  start(): void {
    this.step();
  }

  /** Stops before the next batch; `finished` is not called. */
  cancel(): void {
    this.cancelled = true;
  }

  private step(): void {
    if (this.cancelled) return;
    const next = this.batches.next();
    if (next.done) return this.handlers.finished(this.total);
    const { points, events } = next.value;
    const { from, to } = this.span;
    this.total += points.length;
    const progress = ((points.at(-1)?.ts ?? to) - from) / (to - from);
    this.handlers.batch({ points, events, progress, total: this.total });
    setImmediate(() => this.step());
  }
}
