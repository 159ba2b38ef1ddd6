// Runtime texts come from the node's locales/<lang>/<node>.json through RED._, as in Node-RED's own nodes.
// Node-RED resolves a key in the node's namespace; the node's texts sit under its type, the shell's under
// "node-shell" (merged into every node's catalogue at build by scripts/build-node-package.mjs).
import type { NodeAPI } from 'node-red';

/** Interpolation values: `__name__` in the text is replaced by params.name. */
export type TextParams = Record<string, string | number>;
export type Texts = (key: string, params?: TextParams) => string;

/** The node's own texts: `texts('errors.x')` is RED._('<type>.errors.x'). */
export function nodeTexts(RED: Pick<NodeAPI, '_'>, type: string): Texts {
  return (key, params) => RED._(`${type}.${key}`, params);
}

/** The shell's texts (setting rules, "not configured"), the same in every node. */
export function shellTexts(RED: Pick<NodeAPI, '_'>): Texts {
  return nodeTexts(RED, 'node-shell');
}
