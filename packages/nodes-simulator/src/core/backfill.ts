// A backfill run: the plant of a past span generated batch by batch, one batch per event-loop turn, so the
// flow (and the live simulation beside it) keeps moving while it runs.
import { MIN_TS_MS, type Point } from '@plantwire/telemetry';
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
 * The span a backfill command asks for: `from`..`to`, or the `hours` before `to` (default now), in whole
 * milliseconds (fractions dropped, as the point schema drops them from ts). A span in the future is refused: its
 * points would sit in the history ahead of the live ones; so is one starting before the earliest time the point
 * schema takes: every point of it would be refused downstream.
 */
export function backfillSpan(command: Pick<Command, 'hours' | 'from' | 'to'>, now: number): BackfillSpan {
  const to = Math.floor(command.to ?? now);
  const from = Math.floor(command.from ?? to - command.hours! * 3_600_000);
  if (!(from < to)) throw new SimulatorError('backfill: from must be before to');
  if (from < MIN_TS_MS) {
    throw new SimulatorError(
      `backfill: from must not be before ${new Date(MIN_TS_MS).toISOString()}, the earliest time a point may carry (got ${describeTime(from)})`,
    );
  }
  if (to > now) throw new SimulatorError(`backfill: to must not be in the future (got ${describeTime(to)})`);
  const days = (to - from) / 86_400_000;
  if (days > MAX_BACKFILL_DAYS)
    throw new SimulatorError(
      `backfill: the span must be at most ${MAX_BACKFILL_DAYS} days (got ${Math.round(days)} days)`,
    );
  return { from, to };
}

/** An ISO date-time, or the epoch ms beyond the ±8.64e15 ms a Date holds (its toISOString throws there). */
function describeTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `${ms} ms` : date.toISOString();
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
  /** A batch (or a handler) threw: the run is over, and nothing else is called. */
  failed(error: unknown): void;
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
    try {
      const next = this.batches.next();
      if (next.done) return this.handlers.finished(this.total);
      const { points, events } = next.value;
      const { from, to } = this.span;
      this.total += points.length;
      const progress = ((points.at(-1)?.ts ?? to) - from) / (to - from);
      this.handlers.batch({ points, events, progress, total: this.total });
    } catch (error) {
      // From setImmediate a throw would escape every handler, and Node-RED stops on an uncaught exception.
      this.cancelled = true;
      return this.handlers.failed(error);
    }
    setImmediate(() => this.step());
  }
}
