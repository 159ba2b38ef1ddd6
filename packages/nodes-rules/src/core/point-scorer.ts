// Telemetry points to anomaly verdicts: the series a point belongs to, its score, and whether that is an anomaly.
import { describeValue } from '@plantwire/telemetry';
import { AnomalyInputError, type AnomalyDetector } from './anomaly-detector.js';
import { KEY_FIELDS, keyFieldProblem, resetMatcher, seriesKey, type KeyFields } from './series-key.js';

/** A point as it goes out: every field it came with, plus its score and verdict. */
export interface ScoredPoint extends Record<string, unknown> {
  score: number;
  anomaly: boolean;
  /** The series had not seen enough samples yet: the score is 0 and never an anomaly. */
  warmingUp: boolean;
}

export class PointScorer {
  private readonly fields: readonly string[];

  constructor(
    readonly detector: AnomalyDetector,
    readonly key: KeyFields,
    /** A score at or above this is an anomaly. */
    readonly threshold: number,
  ) {
    this.fields = KEY_FIELDS[key];
  }

  /** The point scored in its series; throws an AnomalyInputError, changing nothing, when it cannot be scored. */
  score(item: unknown): ScoredPoint {
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw new AnomalyInputError(`a point must be an object (got ${describeValue(item)})`);
    const point = item as Record<string, unknown>;
    const key = seriesKey(point, this.fields);
    if (key === undefined) throw new AnomalyInputError(keyFieldProblem(point, this.fields)!);
    const score = this.detector.score(key, point.value);
    const warmingUp = this.detector.warming;
    return { ...point, score, anomaly: !warmingUp && score >= this.threshold, warmingUp };
  }

  /**
   * Forgets the series `reset` names (true: all, or a pattern such as `cnc-01/*`); they start a fresh warm-up.
   * Returns how many; throws an AnomalyInputError, forgetting nothing, for anything else.
   */
  forget(reset: unknown): number {
    return this.detector.forget(
      resetMatcher(reset, this.fields.length, (problem) => new AnomalyInputError(problem)),
    );
  }
}
