// The PDF's type and table layout without QuestDB: text outside Latin-1, and cells too wide for their column.
import { describe, expect, it } from 'vitest';
import { reportPdf } from '../src/core/format-pdf.js';
import { buildReport, type EventRow } from '../src/core/report-model.js';
import { resolvePeriod } from '../src/core/report-period.js';
import { pdfTextItems } from './fixtures/pdf-text.js';

const FROM = Date.UTC(2026, 0, 5, 6);
/** A table row's height in the PDF, in points. */
const ROW = 13;
const period = resolvePeriod('given', 0, { from: FROM, to: FROM + 3_600_000 });

function alarm(name: string, s: number, state: string): EventRow {
  const ts = FROM + s * 1000;
  return {
    ts,
    line: 'linka-1',
    machine: 'wtryskarka-č1',
    kind: 'alarm',
    name,
    state,
    priority: 'high',
    value: null,
    message: '',
  };
}

describe('reportPdf', () => {
  const longName = `temperatura-łożyska-${'x'.repeat(240)}`;
  const report = buildReport(
    [{ line: 'linka-1', machine: 'wtryskarka-č1', s_samples: 0 }],
    [alarm('ciśnienie-niskie', 60, 'active-unack'), alarm(longName, 120, 'active-unack')],
    { tenant: 'acme', plant: 'Łódź', line: '' },
    period,
    { idealRates: {}, chatterCount: 5, chatterWindowS: 60, topN: 20, title: 'Raport zmiany – Отчёт о смене' },
    FROM + 3_600_000,
  );

  it('prints Polish and Cyrillic as written (the standard PDF fonts stop at Latin-1)', async () => {
    const text = (await pdfTextItems(await reportPdf(report))).map((item) => item.text).join(' ');
    expect(text).toContain('Raport zmiany – Отчёт о смене');
    expect(text).toContain('acme / Łódź / all lines');
    expect(text).toContain('ciśnienie-niskie linka-1 wtryskarka-č1 high 1');
  });

  it("labels each chart's value axis with exact ticks", async () => {
    const text = (await pdfTextItems(await reportPdf(report))).map((item) => item.text).join(' ');
    // No OEE yet: an axis of 0..1; two alarm activations: 0..2.
    expect(text).toContain('OEE % by line 0 0.25 0.5 0.75 1');
    expect(text).toContain('Alarm activations by priority 0 0.5 1 1.5 2');
  });

  it('keeps a cell too wide for its column on its own row: smaller type, then an ellipsis', async () => {
    const items = await pdfTextItems(await reportPdf(report));
    const cell = items.find((item) => item.text.startsWith('temperatura-łożyska-x'))!;
    expect(cell.text.endsWith('…')).toBe(true);
    const priority = items.filter((item) => item.page === cell.page && item.text === 'high');
    // The long alarm's row: its priority is on the cell's line, and no text of it spills onto the next row.
    expect(priority.some((item) => Math.abs(item.y - cell.y) < ROW / 2)).toBe(true);
    expect(items.filter((item) => item.text.startsWith('xxx'))).toEqual([]);
  });
});
