// XLSX with exceljs: a Summary sheet, then one sheet per section; numbers are numbers (with a display format
// per column type), times are dates, so a spreadsheet sums and charts them without conversion.
import ExcelJS from 'exceljs';
import { SUMMARY_COLUMNS, type Cell, type ColumnType, type PlantReport } from './report-model.js';

const FORMATS: Partial<Record<ColumnType, string>> = {
  percent: '0.0',
  count: '#,##0',
  minutes: '#,##0.0',
  kwh: '#,##0.0',
  number: '0.000',
  time: 'yyyy-mm-dd hh:mm:ss',
};

export async function reportXlsx(report: PlantReport): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'Plantwire';
  book.created = new Date(report.generatedAt);
  const summary = book.addWorksheet('Summary');
  summary.columns = [{ width: 24 }, { width: 40 }];
  summary.addRow([report.title]).font = { bold: true, size: 14 };
  const meta: [string, string][] = [
    ['Tenant', report.tenant],
    ['Plant', report.plant],
    ['Line', report.line || 'all'],
    ['Period', report.period.label],
  ];
  for (const row of meta) summary.addRow(row);
  summary.addRow(['From', new Date(report.period.from)]).getCell(2).numFmt = FORMATS.time!;
  summary.addRow(['To', new Date(report.period.to)]).getCell(2).numFmt = FORMATS.time!;
  summary.addRow([]);
  for (const column of SUMMARY_COLUMNS) {
    const row = summary.addRow([column.title, typed(report.summary[column.key] ?? null, column.type)]);
    if (FORMATS[column.type]) row.getCell(2).numFmt = FORMATS[column.type]!;
  }
  for (const section of report.sections) {
    const sheet = book.addWorksheet(section.id);
    sheet.columns = section.columns.map((c) => ({
      header: c.title,
      key: c.key,
      width: Math.max(12, c.title.length + 2, c.key === 'alarm' ? 48 : 0),
      style: FORMATS[c.type] ? { numFmt: FORMATS[c.type] } : {},
    }));
    sheet.getRow(1).font = { bold: true };
    sheet.views = [{ state: 'frozen', ySplit: 1 }];
    for (const row of section.rows)
      sheet.addRow(
        Object.fromEntries(section.columns.map((c) => [c.key, typed(row[c.key] ?? null, c.type)])),
      );
  }
  return Buffer.from(await book.xlsx.writeBuffer());
}

function typed(value: Cell, type: ColumnType): string | number | Date | null {
  if (value === null) return null;
  if (type === 'time' && typeof value === 'string') return new Date(value);
  return value;
}
