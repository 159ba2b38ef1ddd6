// PDF with pdfkit: the summary, then each section as a vector chart (pdfkit paths: bars, axes and labels drawn,
// not a picture) and a table. Figures are printed as the JSON holds them (no thousands separators, one
// decimal as rounded), so the PDF's text and the JSON agree exactly.
import { dirname, join } from 'node:path';
import PDFDocument from 'pdfkit';
import {
  SUMMARY_COLUMNS,
  type Cell,
  type Chart,
  type Column,
  type PlantReport,
  type Section,
} from './report-model.js';

const MARGIN = 40;
const PAGE = { width: 595.28, height: 841.89 }; // A4 portrait
const WIDTH = PAGE.width - 2 * MARGIN;
const ROW = 13;
const PALETTE = ['#2f6f9f', '#e0a030', '#c0392b', '#7f8c8d', '#27ae60', '#8e44ad'];
// DejaVu Sans, shipped in the package's fonts/ folder: PDF's standard fonts (Helvetica) hold Latin-1 only, and a
// plant's titles and names may be Polish, Czech, Turkish, Greek or Cyrillic.
const FONTS = join(dirname(require.resolve('@plantwire/node-red-reports/package.json')), 'fonts');
const REGULAR = 'regular';
const BOLD = 'bold';

export function cellText(value: Cell): string {
  return value === null ? '-' : String(value);
}

export function reportPdf(report: PlantReport): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { Title: report.title, Author: 'Plantwire', Subject: report.period.label },
  });
  doc.registerFont(REGULAR, join(FONTS, 'DejaVuSans.ttf'));
  doc.registerFont(BOLD, join(FONTS, 'DejaVuSans-Bold.ttf'));
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font(BOLD).fontSize(18).text(report.title);
  doc
    .font(REGULAR)
    .fontSize(10)
    .text(
      `${[report.tenant, report.plant, report.line || 'all lines'].join(' / ')}    ${report.period.label}`,
    )
    .text(`${report.period.from} to ${report.period.to}, generated ${report.generatedAt}`);
  doc.moveDown();
  table(doc, {
    id: 'summary',
    title: 'Summary',
    columns: [
      { key: 'figure', title: 'Figure', type: 'text' },
      { key: 'value', title: 'Value', type: 'number' },
    ],
    rows: SUMMARY_COLUMNS.map((c) => ({ figure: c.title, value: report.summary[c.key] ?? null })),
  });
  for (const section of report.sections) {
    doc.moveDown();
    // The heading stays with its chart (or first rows).
    room(doc, section.chart && section.rows.length > 0 ? 200 : 60);
    doc.font(BOLD).fontSize(12).text(section.title, MARGIN);
    doc.moveDown(0.3);
    if (section.chart && section.rows.length > 0) chart(doc, section, section.chart);
    if (section.rows.length === 0) doc.font(REGULAR).fontSize(9).text('None in this period.', MARGIN);
    else table(doc, section);
  }
  doc.end();
  return done;
}

/** A new page when fewer than `height` points are left. */
function room(doc: PDFKit.PDFDocument, height: number): void {
  if (doc.y + height > PAGE.height - MARGIN) doc.addPage();
}

function table(doc: PDFKit.PDFDocument, section: Section): void {
  const widths = columnWidths(doc, section);
  const header = () => {
    room(doc, ROW * 2);
    const y = doc.y;
    doc.font(BOLD).fontSize(7.5);
    let x = MARGIN;
    section.columns.forEach((c, i) => {
      cellLine(doc, c.title, x + 2, y, widths[i]! - 4, alignOf(c.type));
      x += widths[i]!;
    });
    doc
      .moveTo(MARGIN, y + ROW - 3)
      .lineTo(MARGIN + WIDTH, y + ROW - 3)
      .lineWidth(0.5)
      .stroke('#444444');
    doc.y = y + ROW;
  };
  header();
  doc.font(REGULAR).fontSize(7.5);
  for (const row of section.rows) {
    if (doc.y + ROW > PAGE.height - MARGIN) {
      doc.addPage();
      header();
      doc.font(REGULAR).fontSize(7.5);
    }
    const y = doc.y;
    let x = MARGIN;
    section.columns.forEach((c, i) => {
      cellLine(doc, cellText(row[c.key] ?? null), x + 2, y, widths[i]! - 4, alignOf(c.type));
      x += widths[i]!;
    });
    doc.y = y + ROW;
  }
  doc.x = MARGIN;
}

/**
 * One cell's text on one line: in smaller type when too wide for its column (a long alarm key), down to 4 pt, and
 * cut with an ellipsis past that; a second line would print over the next row.
 */
function cellLine(
  doc: PDFKit.PDFDocument,
  text: string,
  x: number,
  y: number,
  width: number,
  align: 'left' | 'right',
): void {
  const line = doc.fontSize(7.5).currentLineHeight();
  doc.fontSize(Math.max(4, Math.min(7.5, (7.5 * width) / doc.widthOfString(text))));
  // Smaller type sits in the middle of the row's line.
  const height = doc.currentLineHeight();
  doc.text(text, x, y + (line - height) / 2, { width, height, ellipsis: true, align });
  doc.fontSize(7.5);
}

function alignOf(type: Column['type']): 'left' | 'right' {
  return type === 'text' || type === 'time' ? 'left' : 'right';
}

/** Each column as wide as its widest entry needs (within reason), scaled to the page's width. */
function columnWidths(doc: PDFKit.PDFDocument, section: Section): number[] {
  const wanted = section.columns.map((c) => {
    let widest = doc.font(BOLD).fontSize(7.5).widthOfString(c.title);
    doc.font(REGULAR);
    for (const row of section.rows)
      widest = Math.max(widest, doc.widthOfString(cellText(row[c.key] ?? null)));
    return Math.min(widest + 8, 230);
  });
  const total = wanted.reduce((a, b) => a + b, 0);
  return wanted.map((w) => (w / total) * WIDTH);
}

/** Vertical bars (one series) or stacked bars (several), with a value axis and a legend. */
function chart(doc: PDFKit.PDFDocument, section: Section, spec: Chart): void {
  const height = 130;
  room(doc, height + 40);
  const top = doc.y + 4;
  const left = MARGIN + 34;
  const plotWidth = WIDTH - 40;
  const bottom = top + height;
  const totals = section.rows.map((row) =>
    spec.values.reduce((sum, key) => sum + (typeof row[key] === 'number' ? (row[key] as number) : 0), 0),
  );
  const max = niceMax(Math.max(0, ...totals));
  doc.font(REGULAR).fontSize(7).fillColor('#333333');
  doc.text(spec.title, left, top - 2, { width: plotWidth, align: 'center', lineBreak: false });
  for (let i = 0; i <= 4; i++) {
    const y = bottom - (i / 4) * (height - 12);
    doc
      .moveTo(left, y)
      .lineTo(left + plotWidth, y)
      .lineWidth(0.3)
      .stroke('#cccccc');
    doc
      .fillColor('#555555')
      .text(axisLabel((max * i) / 4), MARGIN, y - 3, { width: 30, align: 'right', lineBreak: false });
  }
  const slot = plotWidth / section.rows.length;
  const barWidth = Math.max(2, Math.min(28, slot * 0.7));
  section.rows.forEach((row, i) => {
    let y = bottom;
    const x = left + i * slot + (slot - barWidth) / 2;
    spec.values.forEach((key, k) => {
      const value = typeof row[key] === 'number' ? (row[key] as number) : 0;
      const h = max > 0 ? (value / max) * (height - 12) : 0;
      if (h > 0) doc.rect(x, y - h, barWidth, h).fill(PALETTE[k % PALETTE.length]!);
      y -= h;
    });
    if (section.rows.length <= 24) {
      doc.fillColor('#333333').fontSize(6);
      doc.text(String(row[spec.label] ?? ''), left + i * slot, bottom + 2, {
        width: slot,
        align: 'center',
        lineBreak: false,
      });
    }
  });
  doc
    .moveTo(left, bottom)
    .lineTo(left + plotWidth, bottom)
    .lineWidth(0.8)
    .stroke('#333333');
  let legendX = left;
  if (spec.values.length > 1)
    spec.values.forEach((key, k) => {
      doc.rect(legendX, bottom + 12, 6, 6).fill(PALETTE[k % PALETTE.length]!);
      const title = section.columns.find((c) => c.key === key)?.title ?? key;
      doc
        .fillColor('#333333')
        .fontSize(6.5)
        .text(title, legendX + 9, bottom + 12, { lineBreak: false });
      legendX += 80;
    });
  doc.fillColor('#000000');
  doc.y = bottom + (spec.values.length > 1 ? 26 : 14);
  doc.x = MARGIN;
}

/** The axis's top: four ticks of 1, 2, 2.5 or 5 times a power of ten, so that every tick's label is exact. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const quarter = value / 4;
  const power = 10 ** Math.floor(Math.log10(quarter));
  const tick = [1, 2, 2.5, 5, 10].map((m) => m * power).find((t) => t >= quarter)!;
  return tick * 4;
}
/** Axis ticks, marked with a unit-free 'k' so they are not mistaken for the table's figures. */
function axisLabel(value: number): string {
  return value >= 10_000 ? `${Math.round(value / 100) / 10}k` : String(Number(value.toPrecision(6)));
}
