// The shell's en-US texts with Node-RED's __name__ interpolation, standing in for RED._ in unit tests.
import { readFileSync } from 'node:fs';
import type { Texts } from '../src/index.js';

const catalogue = JSON.parse(readFileSync(new URL('../locales/en-US.json', import.meta.url), 'utf8'));

export const shellEnglish: Texts = (key, params = {}) => {
  const text = key.split('.').reduce((at, part) => at?.[part], catalogue['node-shell']);
  if (typeof text !== 'string') throw new Error(`no text ${key}`);
  return text.replace(/__(\w+)__/g, (_, name: string) => String(params[name]));
};
