/** A readable refusal: which field broke which rule, and why, so a user can fix the sender. */
export interface PointIssue {
  /** The field at fault ('' for the point itself). */
  field: string;
  /** The schema rule that failed (required, type, pattern, minimum, additionalProperties, ...). */
  rule: string;
  /** One sentence a person can act on. */
  reason: string;
}

export class TelemetryError extends Error implements PointIssue {
  readonly field: string;
  readonly rule: string;
  readonly reason: string;

  constructor(issue: PointIssue) {
    super(issue.reason);
    this.name = 'TelemetryError';
    this.field = issue.field;
    this.rule = issue.rule;
    this.reason = issue.reason;
  }
}
