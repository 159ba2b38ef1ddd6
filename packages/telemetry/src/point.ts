import { Ajv, type ErrorObject } from 'ajv';
import pointSchemaJson from '../schema/point.v1.json';
import { TelemetryError, type PointIssue } from './errors.js';
import type { PointInput } from './generated/point-v1.js';
import { describeValue, IDENTIFIER_RULE } from './identifier.js';
import { schemaRegExp } from './patterns.js';
import { normaliseTs } from './time.js';

export type { PointInput } from './generated/point-v1.js';

/** A point inside Plantwire: ts is integer epoch ms, unit and q are always set. */
export interface Point {
  ts: number;
  id: string;
  tenant: string;
  plant: string;
  line: string;
  machine: string;
  metric: string;
  value: number;
  unit: string;
  q: number;
}

export const pointSchema = pointSchemaJson;
export const POINT_FIELDS = Object.keys(pointSchemaJson.properties) as ReadonlyArray<keyof Point>;

// Compiled once at load, never per message. strictNumbers refuses NaN and Infinity; the identifier and UUID
// patterns run as hand-written matchers (patterns.ts). The hot path stops at the first error; only a refused
// point is checked again, with every error collected, to explain it.
const options = { strict: true, strictNumbers: true, code: { regExp: schemaRegExp } } as const;
const checkPoint = new Ajv(options).compile<PointInput>(pointSchemaJson);
const explainPoint = new Ajv({ ...options, allErrors: true }).compile<PointInput>(pointSchemaJson);

export interface InvalidPoint extends PointIssue {
  /** Position in the array that was validated (0 for a single point). */
  index: number;
  /** Every problem found with this point; `field`, `rule` and `reason` repeat the first. */
  issues: PointIssue[];
}

export interface ValidationResult {
  /** The valid points, normalised, in input order. */
  valid: Point[];
  /** One entry per refused point, in input order. */
  invalid: InvalidPoint[];
}

/**
 * Validates one point or an array of points against schema v1 and normalises the valid ones.
 * A point that is already normal (integer ts, unit and q set) is returned as is, without a copy.
 */
export function validatePoints(input: unknown): ValidationResult {
  const valid: Point[] = [];
  const invalid: InvalidPoint[] = [];
  if (Array.isArray(input)) {
    for (let index = 0; index < input.length; index++) collect(input[index], index, valid, invalid);
  } else {
    collect(input, 0, valid, invalid);
  }
  return { valid, invalid };
}

/** One point: returns it normalised, or throws a TelemetryError naming the first problem. */
export function toPoint(input: unknown): Point {
  const result = validatePoints(input);
  const refused = result.invalid[0];
  if (refused) throw new TelemetryError(refused);
  return result.valid[0] as Point;
}

function collect(input: unknown, index: number, valid: Point[], invalid: InvalidPoint[]): void {
  if (checkPoint(input)) {
    try {
      valid.push(normalise(input));
    } catch (error) {
      const issue = error as TelemetryError;
      invalid.push({ index, field: issue.field, rule: issue.rule, reason: issue.reason, issues: [issue] });
    }
    return;
  }
  explainPoint(input);
  const issues = explain(explainPoint.errors ?? [], input);
  const first = issues[0] as PointIssue;
  invalid.push({ index, field: first.field, rule: first.rule, reason: first.reason, issues });
}

function normalise(input: PointInput): Point {
  if (Number.isInteger(input.ts) && input.unit !== undefined && input.q !== undefined) return input as Point;
  return {
    ts: normaliseTs(input.ts),
    id: input.id,
    tenant: input.tenant,
    plant: input.plant,
    line: input.line,
    machine: input.machine,
    metric: input.metric,
    value: input.value,
    unit: input.unit ?? '',
    q: input.q ?? 100,
  };
}

const FIELD_RULES: Record<string, string> = {
  ts: 'epoch milliseconds between 2000-01-01 and 2100-01-01 (not seconds) or an ISO-8601 date-time with a zone',
  id: 'a UUID such as 0190f1c2-7a3b-7c4d-8e5f-001122334455',
  tenant: IDENTIFIER_RULE,
  plant: IDENTIFIER_RULE,
  line: IDENTIFIER_RULE,
  machine: IDENTIFIER_RULE,
  metric: IDENTIFIER_RULE,
  value: 'a finite number',
  unit: 'a string of at most 32 characters',
  q: 'an integer quality from 0 to 100',
};

/** Turns ajv's errors into one readable issue per field; errors inside anyOf branches fold into the anyOf. */
function explain(errors: ErrorObject[], input: unknown): PointIssue[] {
  const issues: PointIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (error.schemaPath.includes('/anyOf/')) continue;
    const issue = describe(error, input);
    if (seen.has(issue.field)) continue;
    seen.add(issue.field);
    issues.push(issue);
  }
  return issues;
}

function describe(error: ErrorObject, input: unknown): PointIssue {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') {
    const field = String(params.missingProperty);
    return { field, rule: 'required', reason: `${field} is missing: it must be ${FIELD_RULES[field]}` };
  }
  if (error.keyword === 'additionalProperties') {
    const field = String(params.additionalProperty);
    return {
      field,
      rule: 'additionalProperties',
      reason: `${field} is not a field of schema v1 (fields: ${POINT_FIELDS.join(', ')})`,
    };
  }
  const field = error.instancePath.slice(1);
  if (field === '') {
    return { field, rule: error.keyword, reason: `a point must be an object (got ${describeValue(input)})` };
  }
  const got = describeValue((input as Record<string, unknown>)[field]);
  return { field, rule: error.keyword, reason: `${field} must be ${FIELD_RULES[field]} (got ${got})` };
}
