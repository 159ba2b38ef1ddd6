// Alarm rule configuration: what users write (JSON in the node's editor) and its checked, compiled form.
// Everything is validated once at deploy, so the evaluation path never meets a malformed rule.
import { compilePattern, KEY_FIELDS, type KeyFields, type Matcher } from '../series-key.js';
import { describeValue, IDENTIFIER_RULE, isIdentifier } from '@plantwire/telemetry';

export const PRIORITIES = ['diagnostic', 'low', 'medium', 'high', 'critical'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const LEVELS = ['warning', 'critical'] as const;
export type Level = (typeof LEVELS)[number];
export const MODES = ['above', 'below', 'outside', 'rate'] as const;
export type Mode = (typeof MODES)[number];

/** A limit rule as written: one metric pattern, one mode, a warning and/or a critical setpoint. */
export interface LimitRuleInput {
  name: string;
  // Pattern over the series key, matched from the right: `temperature`, `cnc-*/temperature`,
  // `line-01/*/temperature` (that one needs a key with the line).
  match: string;
  mode: Mode;
  /** A setpoint; for `outside` a band `[low, high]`; for `rate` units per second or per minute. */
  warning?: number | [number, number];
  critical?: number | [number, number];
  priority?: Partial<Record<Level, Priority>>;
  /** Absolute (`2`) or a share of the engineering range (`"1%"`, needs `range`). Delays only the return to normal. */
  deadband?: number | string;
  range?: [number, number];
  /** Rate unit: per second (default) or per minute. */
  per?: 's' | 'min';
  /** Which way a rate counts: rising, falling or either (default). */
  direction?: 'rise' | 'fall' | 'either';
  onDelayS?: number;
  offDelayS?: number;
  reAlarmMin?: number;
  /** Text of the events; `{key} {rule} {level} {value} {limit} {unit} {state}` are filled in. */
  message?: string;
}

/** One input of a composite rule: a metric of the same machine above or below a limit. */
export interface ConditionInput {
  metric: string;
  above?: number;
  below?: number;
  deadband?: number;
}

/** Conditions on several metrics of one machine, all of them (AND) or any of them (OR). */
export interface CompositeRuleInput {
  name: string;
  /** Pattern over the machine key (the series key without the metric); default every machine. */
  match?: string;
  all?: ConditionInput[];
  any?: ConditionInput[];
  level?: Level;
  priority?: Priority;
  onDelayS?: number;
  offDelayS?: number;
  reAlarmMin?: number;
  message?: string;
}

export type RuleInput = LimitRuleInput | CompositeRuleInput;

export class AlarmConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlarmConfigError';
  }
}

interface Timing {
  onDelayMs: number;
  offDelayMs: number;
  reAlarmMs: number;
}

/** One alarm a limit rule raises per series: its setpoint(s), deadband and priority. */
export interface LimitSpec extends Timing {
  rule: string;
  level: Level;
  priority: Priority;
  mode: Mode;
  /** Active above `high` and/or below `low` (NaN = that side unused). */
  low: number;
  high: number;
  deadband: number;
  /** Rate: factor from per-ms to the configured unit; 0 for level modes. */
  rateFactor: number;
  direction: 'rise' | 'fall' | 'either';
  message: string | undefined;
}

export interface CompiledCondition {
  metric: string;
  above: number;
  below: number;
  deadband: number;
}

export interface CompositeSpec extends Timing {
  rule: string;
  level: Level;
  priority: Priority;
  any: boolean;
  conditions: CompiledCondition[];
  message: string | undefined;
}

export interface CompiledRules {
  keyFields: readonly string[];
  limits: { match: Matcher; specs: LimitSpec[] }[];
  composites: { match: Matcher; spec: CompositeSpec }[];
}

const DEFAULT_PRIORITY: Record<Level, Priority> = { warning: 'medium', critical: 'high' };

// Every field each kind of rule takes, so that a misspelled one (`deadBand`) is refused instead of silently
// turning its feature off. Records over the input types: the compiler keeps them complete.
const LIMIT_FIELDS: Record<keyof LimitRuleInput, true> = {
  name: true,
  match: true,
  mode: true,
  warning: true,
  critical: true,
  priority: true,
  deadband: true,
  range: true,
  per: true,
  direction: true,
  onDelayS: true,
  offDelayS: true,
  reAlarmMin: true,
  message: true,
};
const COMPOSITE_FIELDS: Record<keyof CompositeRuleInput, true> = {
  name: true,
  match: true,
  all: true,
  any: true,
  level: true,
  priority: true,
  onDelayS: true,
  offDelayS: true,
  reAlarmMin: true,
  message: true,
};
const CONDITION_FIELDS: Record<keyof ConditionInput, true> = {
  metric: true,
  above: true,
  below: true,
  deadband: true,
};

/** Checks and compiles a rule list; throws an AlarmConfigError naming the rule and the field at fault. */
export function compileRules(input: unknown, keyFields: KeyFields = 'machine/metric'): CompiledRules {
  const fields = KEY_FIELDS[keyFields];
  if (!fields) {
    throw new AlarmConfigError(`key must be one of ${Object.keys(KEY_FIELDS).join(', ')} (got ${keyFields})`);
  }
  if (!Array.isArray(input)) throw new AlarmConfigError('rules must be a JSON array of rules');
  const compiled: CompiledRules = { keyFields: fields, limits: [], composites: [] };
  const names = new Set<string>();
  input.forEach((raw: unknown, index) => {
    if (typeof raw !== 'object' || raw === null)
      throw new AlarmConfigError(`rule ${index + 1} is not an object`);
    const rule = raw as Record<string, unknown>;
    const name = rule.name;
    if (!isIdentifier(name)) {
      throw new AlarmConfigError(
        `rule ${index + 1}: name must be 1 to 64 letters, digits, '.', '_' or '-' (got ${JSON.stringify(name)})`,
      );
    }
    if (names.has(name)) throw new AlarmConfigError(`rule "${name}" is defined twice`);
    names.add(name);
    const fail = (what: string) => new AlarmConfigError(`rule "${name}": ${what}`);
    if ('all' in rule || 'any' in rule) {
      checkFields(rule, COMPOSITE_FIELDS, 'a composite rule', fail);
      compiled.composites.push(
        compileComposite(rule as unknown as CompositeRuleInput, fields.length - 1, fail),
      );
    } else {
      checkFields(rule, LIMIT_FIELDS, 'a limit rule', fail);
      compiled.limits.push(compileLimit(rule as unknown as LimitRuleInput, fields.length, fail));
    }
  });
  return compiled;
}

type Fail = (what: string) => AlarmConfigError;

function checkFields(input: object, fields: Record<string, true>, what: string, fail: Fail): void {
  const unknown = Object.keys(input).find((field) => !Object.hasOwn(fields, field));
  if (unknown !== undefined) {
    throw fail(`unknown field ${JSON.stringify(unknown)}; ${what} takes ${Object.keys(fields).join(', ')}`);
  }
}

function compileLimit(rule: LimitRuleInput, keyLength: number, fail: Fail) {
  if (!MODES.includes(rule.mode))
    throw fail(`mode must be one of ${MODES.join(', ')} (got ${String(rule.mode)})`);
  if (typeof rule.match !== 'string')
    throw fail('match (a series pattern such as "*/temperature") is missing');
  const match = compilePattern(rule.match, keyLength, (problem) => fail(`match ${problem}`));
  const levels = LEVELS.filter((level) => rule[level] !== undefined);
  if (levels.length === 0) throw fail('give a warning and/or a critical setpoint');
  const deadband = resolveDeadband(rule.deadband, rule.range, fail);
  const per = rule.per ?? 's';
  if (per !== 's' && per !== 'min') throw fail(`per must be "s" or "min" (got ${String(per)})`);
  const direction = rule.direction ?? 'either';
  if (!['rise', 'fall', 'either'].includes(direction)) throw fail(`direction must be rise, fall or either`);
  const timing = compileTiming(rule, fail);
  const priority = rule.priority ?? {};
  if (typeof priority !== 'object' || priority === null || Array.isArray(priority))
    throw fail('priority must be an object such as {"warning": "medium", "critical": "high"}');
  const unknownLevel = Object.keys(priority).find((name) => !LEVELS.includes(name as Level));
  if (unknownLevel !== undefined)
    throw fail(`priority: unknown level ${JSON.stringify(unknownLevel)}; give warning and/or critical`);
  const specs = levels.map((level): LimitSpec => {
    const setpoint = rule[level];
    let low = NaN;
    let high = NaN;
    if (rule.mode === 'outside') {
      if (
        !Array.isArray(setpoint) ||
        setpoint.length !== 2 ||
        !setpoint.every(Number.isFinite) ||
        setpoint[0] >= setpoint[1]
      ) {
        throw fail(`${level} must be a band [low, high] with low < high for mode outside`);
      }
      [low, high] = setpoint;
      // Half the band or more: the return to normal lies past the middle, nearer the other limit than its own.
      if (deadband * 2 >= high - low) {
        throw fail(
          `deadband (${deadband}) must be less than half the ${level} band [${low}, ${high}] for mode outside`,
        );
      }
    } else {
      if (!Number.isFinite(setpoint)) throw fail(`${level} must be a number for mode ${rule.mode}`);
      if (rule.mode === 'below') low = setpoint as number;
      else high = setpoint as number;
      if (rule.mode === 'rate' && (setpoint as number) <= 0) throw fail(`${level} rate must be above 0`);
    }
    return {
      rule: rule.name,
      level,
      priority: priorityOf(priority[level] ?? DEFAULT_PRIORITY[level], fail),
      mode: rule.mode,
      low,
      high,
      deadband,
      rateFactor: rule.mode === 'rate' ? (per === 'min' ? 60_000 : 1000) : 0,
      direction,
      message: messageOf(rule.message, fail),
      ...timing,
    };
  });
  if (specs.length === 2) checkLevelOrder(rule.mode, specs[0]!, specs[1]!, fail);
  return { match, specs };
}

/** A warning comes before its critical: a warning setpoint beyond the critical one is a mistake. */
function checkLevelOrder(mode: Mode, warning: LimitSpec, critical: LimitSpec, fail: Fail): void {
  if (mode === 'outside') {
    if (critical.low > warning.low || critical.high < warning.high) {
      throw fail(
        `the critical band [${critical.low}, ${critical.high}] must contain the warning band [${warning.low}, ${warning.high}] for mode outside`,
      );
    }
  } else if (mode === 'below') {
    if (!(warning.low > critical.low))
      throw fail(`warning (${warning.low}) must be above critical (${critical.low}) for mode below`);
  } else if (!(warning.high < critical.high)) {
    throw fail(`warning (${warning.high}) must be below critical (${critical.high}) for mode ${mode}`);
  }
}

function compileComposite(rule: CompositeRuleInput, keyLength: number, fail: Fail) {
  if (rule.all !== undefined && rule.any !== undefined)
    throw fail('use either all (AND) or any (OR), not both');
  const list = rule.all ?? rule.any;
  if (!Array.isArray(list) || list.length < 2)
    throw fail(`${rule.all ? 'all' : 'any'} needs at least two conditions`);
  const conditions = list.map((condition, i): CompiledCondition => {
    const where = `condition ${i + 1}`;
    if (typeof condition !== 'object' || condition === null) throw fail(`${where} is not an object`);
    checkFields(condition, CONDITION_FIELDS, 'a condition', (what) => fail(`${where}: ${what}`));
    if (condition.metric === undefined) throw fail(`${where}: metric is missing`);
    if (!isIdentifier(condition.metric))
      throw fail(`${where}: metric must be ${IDENTIFIER_RULE} (got ${describeValue(condition.metric)})`);
    const hasAbove = condition.above !== undefined;
    const hasBelow = condition.below !== undefined;
    if (hasAbove === hasBelow) throw fail(`${where}: give exactly one of above or below`);
    const limit = hasAbove ? condition.above : condition.below;
    if (!Number.isFinite(limit)) throw fail(`${where}: the limit must be a number`);
    const deadband = condition.deadband ?? 0;
    if (!Number.isFinite(deadband) || deadband < 0)
      throw fail(`${where}: deadband must be a number of 0 or more`);
    return {
      metric: condition.metric,
      above: hasAbove ? limit! : NaN,
      below: hasBelow ? limit! : NaN,
      deadband,
    };
  });
  const level = rule.level ?? 'critical';
  if (!LEVELS.includes(level)) throw fail(`level must be warning or critical (got ${String(level)})`);
  return {
    match: compilePattern(rule.match ?? '*', keyLength, (problem) => fail(`match ${problem}`)),
    spec: {
      rule: rule.name,
      level,
      priority: priorityOf(rule.priority ?? DEFAULT_PRIORITY[level], fail),
      any: rule.any !== undefined,
      conditions,
      message: messageOf(rule.message, fail),
      ...compileTiming(rule, fail),
    } satisfies CompositeSpec,
  };
}

function compileTiming(
  rule: { onDelayS?: number; offDelayS?: number; reAlarmMin?: number },
  fail: Fail,
): Timing {
  const ms = (value: number | undefined, field: string, unit: number) => {
    if (value === undefined) return 0;
    if (!Number.isFinite(value) || value < 0) throw fail(`${field} must be a number of 0 or more`);
    return value * unit;
  };
  return {
    onDelayMs: ms(rule.onDelayS, 'onDelayS', 1000),
    offDelayMs: ms(rule.offDelayS, 'offDelayS', 1000),
    reAlarmMs: ms(rule.reAlarmMin, 'reAlarmMin', 60_000),
  };
}

function resolveDeadband(deadband: unknown, range: unknown, fail: Fail): number {
  if (deadband === undefined) return 0;
  if (typeof deadband === 'number') {
    if (!Number.isFinite(deadband) || deadband < 0) throw fail('deadband must be a number of 0 or more');
    return deadband;
  }
  const percent = typeof deadband === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(deadband) : null;
  if (!percent)
    throw fail(`deadband must be a number or a percentage such as "1%" (got ${JSON.stringify(deadband)})`);
  if (!Array.isArray(range) || range.length !== 2 || !range.every(Number.isFinite) || range[0] >= range[1]) {
    throw fail('a deadband in % needs range: [low, high], the engineering range of the signal');
  }
  return ((range[1] - range[0]) * Number(percent[1])) / 100;
}

function priorityOf(priority: unknown, fail: Fail): Priority {
  if (!PRIORITIES.includes(priority as Priority)) {
    throw fail(`priority must be one of ${PRIORITIES.join(', ')} (got ${JSON.stringify(priority)})`);
  }
  return priority as Priority;
}

function messageOf(message: unknown, fail: Fail): string | undefined {
  if (message !== undefined && typeof message !== 'string') throw fail('message must be a string');
  return message;
}
