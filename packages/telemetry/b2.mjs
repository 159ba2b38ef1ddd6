import { Ajv } from 'ajv';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const base = require('./schema/point.v1.json');
const { uuidv7 } = require('@plantwire/telemetry');
const now = Date.now();
const batch = Array.from({ length: 1000 }, (_, i) => ({ ts: now + i, id: uuidv7(), tenant: 'acme', plant: 'plant-1', line: `line-${i % 10}`, machine: `cnc-${i % 100}`, metric: 'temperature', value: 60 + i / 3, unit: 'degC', q: 100 }));
function run(name, f) { for (let i=0;i<300;i++) f(); const t=process.hrtime.bigint(); let n=0; for (let i=0;i<3000;i++){f(); n+=1000;} console.log(name, Math.round(n/(Number(process.hrtime.bigint()-t)/1e9))); }
function variant(name, mut, opts={}) { const s = structuredClone(base); mut(s); const v = new Ajv({ strict: false, strictNumbers: true, unicodeRegExp: false, ...opts }).compile(s); run(name, () => { for (const p of batch) if (!v(p)) throw new Error(JSON.stringify(v.errors)); }); }
variant('full', () => {});
variant('no additionalProperties', (s) => { delete s.additionalProperties; });
variant('no patterns', (s) => { delete s.properties.id.pattern; s.definitions.identifier.pattern = undefined; delete s.definitions.identifier.pattern; });
variant('no anyOf ts', (s) => { s.properties.ts = { type: 'number' }; });
const fast = { code: { regExp: (pattern, flags) => { const re = new RegExp(pattern, flags); return re; } } };
variant('custom regexp engine', () => {}, fast);
