import { describe, expect, it } from 'vitest';
import { parseSettings, setting, settingDefaults, SettingError } from '../src/index.js';
import { shellEnglish } from './texts.js';

const SPEC = {
  batchRows: setting.integer(1000, { min: 1 }),
  threshold: setting.number(0.5, { max: 1 }),
  order: setting.choice('fifo', ['fifo', 'live-first']),
  storeName: setting.identifier(),
  directory: setting.text(),
  autostart: setting.flag(true),
};
const parse = (def: Record<string, unknown>) => parseSettings(def, SPEC, shellEnglish);
const refusal = (def: Record<string, unknown>) => {
  try {
    parse(def);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingError);
    return (error as SettingError).message;
  }
  throw new Error('not refused');
};

describe('settings', () => {
  it('takes the default for a missing or empty value', () => {
    expect(parse({ batchRows: '', threshold: '  ' })).toEqual({
      batchRows: 1000,
      threshold: 0.5,
      order: 'fifo',
      storeName: '',
      directory: '',
      autostart: true,
    });
  });

  it('parses what the editor gives: numbers as strings, trimmed texts, booleans', () => {
    expect(
      parse({ batchRows: '20', threshold: 0.9, order: 'live-first', storeName: ' a.b ', autostart: false }),
    ).toMatchObject({
      batchRows: 20,
      threshold: 0.9,
      order: 'live-first',
      storeName: 'a.b',
      autostart: false,
    });
  });

  it('refuses a bad value, naming the setting, the rule and the value', () => {
    expect(refusal({ batchRows: '0' })).toBe('batchRows must be a whole number of 1 or more (got "0")');
    expect(refusal({ batchRows: '2.5' })).toBe('batchRows must be a whole number of 1 or more (got "2.5")');
    expect(refusal({ threshold: 'high' })).toBe('threshold must be a number from 0 to 1 (got "high")');
    expect(refusal({ threshold: '-1' })).toBe('threshold must be a number from 0 to 1 (got "-1")');
    // Infinity passes "0 or more", but no setting can use it (as a timer Node runs it at once).
    expect(() => parseSettings({ waitS: 'Infinity' }, { waitS: setting.number(5) }, shellEnglish)).toThrow(
      'waitS must be a number of 0 or more (got "Infinity")',
    );
    expect(refusal({ order: 'lifo' })).toBe('order must be one of fifo, live-first (got "lifo")');
    expect(refusal({ storeName: '../etc' })).toMatch(
      /^storeName must be 1 to 64 characters: .* \(got "..\/etc"\)$/,
    );
  });

  it('takes a flag only as true or false, as a boolean or its text', () => {
    for (const [value, parsed] of [
      [true, true],
      [false, false],
      ['true', true],
      [' FALSE ', false],
      ['False', false],
    ] as const)
      expect(parse({ autostart: value }).autostart, JSON.stringify(value)).toBe(parsed);
    // Each of these read as true, turning on a plant, TLS or a topic replay the user meant off.
    expect(refusal({ autostart: 0 })).toBe('autostart must be true or false (got 0)');
    expect(refusal({ autostart: 'no' })).toBe('autostart must be true or false (got "no")');
    expect(refusal({ autostart: 1 })).toBe('autostart must be true or false (got 1)');
    expect(refusal({ autostart: [false] })).toBe('autostart must be true or false (got an array)');
  });

  it('takes a number only as a number or its plain decimal text', () => {
    for (const [value, parsed] of [
      [' 0.25 ', 0.25],
      ['+.5', 0.5],
      ['1.', 1],
      ['5e-1', 0.5],
      ['1E-2', 0.01],
      [0.75, 0.75],
    ] as const)
      expect(parse({ threshold: value }).threshold, JSON.stringify(value)).toBe(parsed);
    expect(parse({ batchRows: '2e3' }).batchRows).toBe(2000);
    // Number() takes each of these, as 1, 5, 16, 1 and 2: none is a number the user wrote.
    expect(refusal({ threshold: true })).toBe('threshold must be a number from 0 to 1 (got true)');
    expect(refusal({ batchRows: [5] })).toBe('batchRows must be a whole number of 1 or more (got an array)');
    expect(refusal({ batchRows: '0x10' })).toBe('batchRows must be a whole number of 1 or more (got "0x10")');
    expect(refusal({ batchRows: '0b1' })).toBe('batchRows must be a whole number of 1 or more (got "0b1")');
    expect(refusal({ batchRows: '1_000' })).toBe(
      'batchRows must be a whole number of 1 or more (got "1_000")',
    );
    expect(refusal({ threshold: '.' })).toBe('threshold must be a number from 0 to 1 (got ".")');
  });

  it('takes an array or object written into a text setting (a JSON setting from a script) as its JSON', () => {
    const rules = [{ metric: 'temp', above: 80 }];
    expect(parse({ directory: rules }).directory).toBe(JSON.stringify(rules));
    expect(parse({ directory: { press: 9.5 } }).directory).toBe('{"press":9.5}');
    expect(parse({ directory: 5 }).directory).toBe('5');
  });

  it('gives the editor the same defaults, numbers as the strings its inputs hold', () => {
    expect(settingDefaults(SPEC)).toEqual({
      batchRows: '1000',
      threshold: '0.5',
      order: 'fifo',
      storeName: '',
      directory: '',
      autostart: true,
    });
  });
});
