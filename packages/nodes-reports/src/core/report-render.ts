// A report as the file a flow sends on: a Buffer, its file name and MIME type, for a file, email or http node.
import { reportCsv } from './format-csv.js';
import { reportPdf } from './format-pdf.js';
import { reportXlsx } from './format-xlsx.js';
import type { PlantReport } from './report-model.js';

export const FORMATS = ['pdf', 'xlsx', 'csv', 'json'] as const;
export type ReportFormat = (typeof FORMATS)[number];

export const MIME_TYPES: Record<ReportFormat, string> = {
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
};

export interface RenderedReport {
  payload: Buffer;
  filename: string;
  contentType: string;
}

export async function renderReport(report: PlantReport, format: ReportFormat): Promise<RenderedReport> {
  const payload =
    format === 'pdf'
      ? await reportPdf(report)
      : format === 'xlsx'
        ? await reportXlsx(report)
        : Buffer.from(format === 'csv' ? reportCsv(report) : JSON.stringify(report, null, 2));
  return { payload, filename: `${fileStem(report)}.${format}`, contentType: MIME_TYPES[format] };
}

/** "plant-report_acme_plant-1_2026-01-05T0600Z": the place and the period's start, safe in any file system. */
export function fileStem(report: PlantReport): string {
  const start = report.period.from.slice(0, 16).replace(/:/g, '') + 'Z';
  return ['plant-report', report.tenant, report.plant, report.line, start]
    .filter(Boolean)
    .join('_')
    .replace(/[^A-Za-z0-9._-]/g, '-');
}
