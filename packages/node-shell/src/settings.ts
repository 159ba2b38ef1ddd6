// A node's settings are declared once, as a spec with their defaults and rules, and parsed one way: an empty
// or missing value takes the default, a bad one throws a SettingError naming the setting and the rule, and the
// shell refuses to deploy (a silent fallback would hide the mistake). The editor reads the same defaults
// (see registerNode), so they are written nowhere else.
import { IDENTIFIER_RULE, describeValue, isIdentifier } from '@plantwire/telemetry';
import type { Texts } from './texts.js';

interface Range {
  min?: number;
  max?: number;
}
export interface NumberSetting extends Range {
  kind: 'number';
  default: number;
  integer: boolean;
}
export interface ChoiceSetting<C extends string = string> {
  kind: 'choice';
  default: C;
  choices: readonly C[];
}
/** An identifier (schema v1's rule); empty means none, and the node decides what stands in (its id, say). */
export interface IdentifierSetting {
  kind: 'identifier';
  default: '';
}
export interface TextSetting {
  kind: 'text';
  default: string;
}
export interface FlagSetting {
  kind: 'flag';
  default: boolean;
}
export type Setting = NumberSetting | ChoiceSetting | IdentifierSetting | TextSetting | FlagSetting;
export type SettingsSpec = Record<string, Setting>;

/** The parsed settings: numbers as numbers, choices as their union, texts trimmed, flags as booleans. */
export type Settings<S extends SettingsSpec> = {
  [K in keyof S]: S[K] extends NumberSetting
    ? number
    : S[K] extends ChoiceSetting<infer C>
      ? C
      : S[K] extends FlagSetting
        ? boolean
        : string;
};

/** Builders for a spec: `{ batchRows: setting.integer(1000, { min: 1 }) }`. */
export const setting = {
  number: (fallback: number, range: Range = {}): NumberSetting => ({
    kind: 'number',
    default: fallback,
    integer: false,
    ...range,
  }),
  integer: (fallback: number, range: Range = {}): NumberSetting => ({
    kind: 'number',
    default: fallback,
    integer: true,
    ...range,
  }),
  choice: <C extends string>(fallback: C, choices: readonly C[]): ChoiceSetting<C> => ({
    kind: 'choice',
    default: fallback,
    choices,
  }),
  identifier: (): IdentifierSetting => ({ kind: 'identifier', default: '' }),
  text: (fallback = ''): TextSetting => ({ kind: 'text', default: fallback }),
  flag: (fallback: boolean): FlagSetting => ({ kind: 'flag', default: fallback }),
};

/** A refused setting; its message says which setting, what it must be and what it was. */
export class SettingError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
    this.name = 'SettingError';
  }
}

/**
 * Parses a node's settings (its NodeDef) against its spec. `texts` are the shell's texts (shellTexts(RED)).
 * Throws a SettingError for the first bad setting.
 */
export function parseSettings<S extends SettingsSpec>(
  def: Record<string, unknown>,
  spec: S,
  texts: Texts,
): Settings<S> {
  const parsed: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(spec)) parsed[name] = parseOne(name, def[name], rule, texts);
  return parsed as Settings<S>;
}

/** The defaults as the editor's `defaults` hold them: numbers as strings, as the editor's inputs give them. */
export function settingDefaults(spec: SettingsSpec): Record<string, string | boolean> {
  return Object.fromEntries(
    Object.entries(spec).map(([name, rule]) => [
      name,
      typeof rule.default === 'number' ? String(rule.default) : rule.default,
    ]),
  );
}

/** Each number setting's range, as the editor checks it (plantwireNumber): min (0 unless given), max, whole. */
export function numberRules(
  spec: SettingsSpec,
): Record<string, { min: number; max?: number; integer: boolean }> {
  return Object.fromEntries(
    Object.entries(spec).flatMap(([name, rule]) =>
      rule.kind === 'number'
        ? [
            [
              name,
              { min: rule.min ?? 0, ...(rule.max !== undefined && { max: rule.max }), integer: rule.integer },
            ],
          ]
        : [],
    ),
  );
}

/** A number in plain decimal notation: optional sign, digits with an optional fraction, optional exponent. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function parseOne(name: string, value: unknown, rule: Setting, texts: Texts): unknown {
  const empty = value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
  const refuse = (key: string, params: Record<string, string | number> = {}) =>
    new SettingError(
      name,
      texts(`setting.${key}`, { setting: name, value: describeValue(value), ...params }),
    );
  switch (rule.kind) {
    case 'flag': {
      if (empty) return rule.default;
      if (typeof value === 'boolean') return value;
      // Nothing else is guessed at: 0, "no" or "off" read as true would turn on what the user meant off.
      const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
      if (text !== 'true' && text !== 'false') throw refuse('flag');
      return text === 'true';
    }
    case 'text':
      if (empty) return rule.default;
      // A flow written by a script holds a JSON setting (rules, routes, limits) as the array or object itself.
      return typeof value === 'object' ? JSON.stringify(value) : String(value).trim();
    case 'identifier': {
      if (empty) return rule.default;
      const text = String(value).trim();
      if (!isIdentifier(text)) throw refuse('identifier', { rule: IDENTIFIER_RULE });
      return text;
    }
    case 'choice': {
      if (empty) return rule.default;
      if (!rule.choices.includes(value as string))
        throw refuse('choice', { choices: rule.choices.join(', ') });
      return value;
    }
    case 'number': {
      if (empty) return rule.default;
      // Number() would also take true (1), [5] (5) and "0x10" (16): none of them is what the user wrote.
      const number =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && DECIMAL.test(value.trim())
            ? Number(value)
            : NaN;
      const min = rule.min ?? 0;
      const max = rule.max ?? Infinity;
      // Finite: Infinity passes any "or more", and as a timer it overflows Node's to 1 ms.
      if (
        !(Number.isFinite(number) && number >= min && number <= max) ||
        (rule.integer && !Number.isInteger(number))
      ) {
        const key = `${rule.integer ? 'integer' : 'number'}${max < Infinity ? 'Range' : ''}`;
        throw refuse(key, { min, max });
      }
      return number;
    }
  }
}
