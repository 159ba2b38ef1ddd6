import { SCRAP_MIX } from './machine-types.js';
import type { Machine } from './machine.js';

/** Counts the parts a running machine makes in `dt` seconds under a load, good or scrap by reason. */
export function produce(machine: Machine, dt: number, load: number): void {
  if (machine.state !== 'RUNNING') return;
  machine.partsDue += machine.type.partsPerMinute * (0.85 + 0.15 * load) * (dt / 60);
  const wear = machine.wear.level;
  const scrapRate = machine.type.scrapRate + 0.3 * wear * wear;
  while (machine.partsDue >= 1) {
    machine.partsDue -= 1;
    const roll = machine.chance.next();
    if (roll >= scrapRate) {
      machine.good++;
      continue;
    }
    // Worn tools make bad parts: their scrap is QUALITY; the base rate splits by SCRAP_MIX.
    if (roll >= machine.type.scrapRate) {
      machine.scrap.QUALITY++;
      continue;
    }
    let pick = roll / machine.type.scrapRate;
    for (const [reason, share] of SCRAP_MIX) {
      if ((pick -= share) < 0 || reason === 'OPERATOR') {
        machine.scrap[reason]++;
        break;
      }
    }
  }
}
