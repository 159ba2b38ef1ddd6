import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  KEY_FIELDS,
  compilePattern,
  isKeyFields,
  keyFieldProblem,
  seriesKey,
} from '../src/core/series-key.js';

const point = { tenant: 'acme', plant: 'p1', line: 'line-01', machine: 'cnc-01', metric: 'temperature' };

describe('series keys', () => {
  it('joins the chosen fields, metric last', () => {
    expect(seriesKey(point, KEY_FIELDS['machine/metric'])).toBe('cnc-01/temperature');
    expect(seriesKey(point, KEY_FIELDS['tenant/plant/line/machine/metric'])).toBe(
      'acme/p1/line-01/cnc-01/temperature',
    );
    for (const [name, fields] of Object.entries(KEY_FIELDS)) {
      expect(name).toBe(fields.join('/'));
      expect(fields.at(-1)).toBe('metric');
    }
  });

  it('has no key for a point whose key field is not an identifier, and says which', () => {
    const fields = KEY_FIELDS['line/machine/metric'];
    expect(seriesKey({ ...point, line: 'a/b' }, fields)).toBeUndefined();
    expect(keyFieldProblem({ ...point, line: 'a/b' }, fields)).toMatch(/^line must be .* \(got "a\/b"\)$/);
    expect(seriesKey({ ...point, machine: undefined }, fields)).toBeUndefined();
    expect(keyFieldProblem({ ...point, machine: undefined }, fields)).toMatch(/^machine must be /);
    expect(keyFieldProblem(point, fields)).toBeUndefined();
  });

  it('knows its names and nothing else', () => {
    expect(isKeyFields('plant/line/machine/metric')).toBe(true);
    expect(isKeyFields('plant')).toBe(false);
    expect(isKeyFields('constructor')).toBe(false);
    expect(isKeyFields(undefined)).toBe(false);
  });

  // Node-RED loads each node's editor HTML on its own, so the <select> cannot import KEY_FIELDS: the options are
  // listed once, in the fragment series-key-options.html, which the build puts into each editor's key <select>.
  it("the editors' key fragment offers exactly these keys", () => {
    const fragment = readFileSync(join(__dirname, '..', 'src', 'nodes', 'series-key-options.html'), 'utf8');
    const options = [...fragment.matchAll(/<option value="([^"]*)">([^<]*)<\/option>/g)];
    expect(options.map((option) => option[1])).toEqual(Object.keys(KEY_FIELDS));
    expect(options.map((option) => option[2])).toEqual(Object.keys(KEY_FIELDS));
  });

  it.each(['threshold-alarm', 'anomaly-detect', 'forecast'])('the %s editor offers these keys', (node) => {
    const html = readFileSync(join(__dirname, '..', 'src', 'nodes', node, `${node}.html`), 'utf8');
    const select = /<select id="node-input-key">([\s\S]*?)<\/select>/.exec(html)?.[1] ?? '';
    expect(select.trim()).toBe('<!-- include: series-key-options.html -->');
    // The default comes from the node's settings spec (node-shell's registerNode), not from the HTML.
    expect(html).toMatch(/key: \{ value: RED\.settings\.\w+Defaults\.key \}/);
  });
});

describe('series patterns', () => {
  const matches = (pattern: string, key: string) =>
    compilePattern(pattern, 3, (problem) => new RangeError(problem))(key.split('/'));

  it.each([
    ['vibration', 'line-01/cnc-01/vibration', true],
    ['cnc-*/vibration', 'line-01/cnc-01/vibration', true],
    ['cnc-*/vibration', 'line-01/press-01/vibration', false],
    ['*-01/*', 'line-01/cnc-01/power', true],
    ['c*c*-0*1', 'line-01/x/cnc-01', true],
    ['c*c*-0*2', 'line-01/x/cnc-01', false],
    ['*.*', 'line-01/x/v1.5', true],
    ['*.*', 'line-01/x/v15', false],
    ['a*', 'line-01/x/a', true],
    ['**a**', 'line-01/x/bab', true],
    ['line-01/*/temp*', 'line-01/cnc-01/temperature', true],
    ['line-01/*/temp*', 'line-02/cnc-01/temperature', false],
  ])('%s matches %s: %s', (pattern, key, expected) => {
    expect(matches(pattern, key)).toBe(expected);
  });

  it('answers for a pattern of many stars (as a regular expression, 8 of them took over 20 s here)', () => {
    expect(matches(`${'a*'.repeat(30)}b`, `x/y/${'a'.repeat(64)}`)).toBe(false);
    expect(matches(`${'a*'.repeat(30)}`, `x/y/${'a'.repeat(64)}`)).toBe(true);
  });
});
