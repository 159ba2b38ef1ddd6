// CSV in long ("tidy") form, one figure per line: section, row, field, value. Every section fits one shape, a
// spreadsheet's pivot table takes it as it is, and it reads back into the report's sections exactly.
import { SUMMARY_COLUMNS, type PlantReport } from './report-model.js';

export const CSV_HEADER = ['section', 'row', 'field', 'value'];

export function reportCsv(report: PlantReport): string {
  const lines = [CSV_HEADER.join(',')];
  const meta: [string, string][] = [
    ['title', report.title],
    ['tenant', report.tenant],
    ['plant', report.plant],
    ['line', report.line],
    ['from', report.period.from],
    ['to', report.period.to],
    ['period', report.period.label],
    ['generated', report.generatedAt],
  ];
  for (const [field, value] of meta) lines.push(csvLine(['report', 1, field, value]));
  for (const column of SUMMARY_COLUMNS)
    lines.push(csvLine(['summary', 1, column.key, report.summary[column.key] ?? null]));
  for (const section of report.sections)
    section.rows.forEach((row, i) => {
      for (const column of section.columns)
        lines.push(csvLine([section.id, i + 1, column.key, row[column.key] ?? null]));
    });
  return lines.join('\r\n') + '\r\n';
}

function csvLine(cells: (string | number | null)[]): string {
  return cells.map(csvCell).join(',');
}

/**
 * RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled. Empty for no value. A text cell
 * that a spreadsheet would take for a formula (starting with = + - @, tab or carriage return: an event name is any
 * string a client sent) gets a leading ' (OWASP's CSV injection advice), so it opens as the text it is. Numbers
 * are written as numbers: -3.5 stays -3.5.
 */
function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
