// The plant-report node: a thin shell over the report core (src/core/report-*.ts). Any message (an inject node's
// schedule) runs the report for the configured place and period through a questdb-config node and sends it as
// a Buffer with its file name and MIME type, ready for a file, email or http response node.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import {
  nodeShell,
  registerNode,
  setting,
  SettingError,
  type Done,
  type Send,
  type Settings,
} from '@plantwire/node-shell';
import { DEFAULT_IDEAL_RATES, parseIdealRates, questDbServer } from '@plantwire/node-red-questdb';
import { queryReport } from '../../core/report-builder.js';
import { resolvePeriod, PERIODS, ReportInputError, type PeriodKind } from '../../core/report-period.js';
import { FORMATS, renderReport, type ReportFormat } from '../../core/report-render.js';
import { SUMMARY_COLUMNS } from '../../core/report-model.js';
import { cellText } from '../../core/format-pdf.js';
import { isIdentifier } from '@plantwire/telemetry';

const SETTINGS = {
  title: setting.text('Shift report'),
  // machine-sim's defaults: a new node reports on the demo plant as it is.
  tenant: setting.text('acme'),
  plant: setting.text('plant-1'),
  line: setting.text(''),
  period: setting.choice('shift', PERIODS),
  format: setting.choice('pdf', [...FORMATS, 'all'] as const),
  table: setting.text('plantwire_telemetry'),
  eventsTable: setting.text('plantwire_events'),
  idealRates: setting.text(JSON.stringify(DEFAULT_IDEAL_RATES)),
  chatterCount: setting.integer(5, { min: 2 }),
  chatterWindowS: setting.number(60, { min: 1 }),
  topN: setting.integer(20, { min: 1 }),
};

interface ReportMessage extends NodeMessage {
  period?: unknown;
  format?: unknown;
}

export = function register(RED: NodeAPI) {
  function PlantReportNode(this: Node, def: NodeDef & { server?: string }) {
    RED.nodes.createNode(this, def);
    const node = this;
    const shell = nodeShell(RED, node, 'plant-report');
    const server = questDbServer(RED, node, shell, def.server);
    let settings: Settings<typeof SETTINGS> | undefined;
    let rates: Record<string, number> = {};
    if (!(server instanceof Error)) {
      try {
        settings = shell.settings(def, SETTINGS);
        if (!isIdentifier(settings.tenant)) throw new SettingError('tenant', shell.text('errors.noTenant'));
        if (!isIdentifier(settings.plant)) throw new SettingError('plant', shell.text('errors.noPlant'));
        if (settings.line !== '' && !isIdentifier(settings.line))
          throw new SettingError('line', shell.text('errors.badLine'));
        try {
          rates = parseIdealRates(settings.idealRates);
        } catch (error) {
          throw new SettingError('idealRates', (error as Error).message);
        }
        shell.status.idle(shell.text('status.ready'));
      } catch (error) {
        settings = undefined;
        shell.refuseSetup(error);
      }
    }

    node.on('input', (msg: ReportMessage, send: Send, done: Done) => {
      if (server instanceof Error) return done(server);
      if (!settings) return done(shell.notConfigured());
      const config = settings;
      let kind: PeriodKind = config.period;
      let given: unknown;
      let formats: ReportFormat[] = config.format === 'all' ? [...FORMATS] : [config.format];
      try {
        if (typeof msg.period === 'string') {
          if (!PERIODS.includes(msg.period as PeriodKind))
            throw new ReportInputError(`msg.period must be one of ${PERIODS.join(', ')} or {"from", "to"}`);
          kind = msg.period as PeriodKind;
        } else if (msg.period !== undefined) {
          kind = 'given';
          given = msg.period;
        }
        if (msg.format !== undefined) {
          const asked =
            msg.format === 'all' ? [...FORMATS] : Array.isArray(msg.format) ? msg.format : [msg.format];
          if (asked.length === 0 || !asked.every((f) => FORMATS.includes(f as ReportFormat)))
            throw new ReportInputError(
              `msg.format must be one of ${FORMATS.join(', ')}, all, or a list of them`,
            );
          formats = asked as ReportFormat[];
        }
      } catch (error) {
        shell.status.error((error as Error).message);
        return done(shell.error('errors.input', { reason: (error as Error).message }));
      }
      const now = Date.now();
      let period;
      try {
        period = resolvePeriod(kind, now, given);
      } catch (error) {
        shell.status.error((error as Error).message);
        return done(shell.error('errors.input', { reason: (error as Error).message }));
      }
      shell.status.busy(shell.text('status.running', { period: period.label }));
      const started = Date.now();
      queryReport(
        server.connection,
        { telemetry: config.table, events: config.eventsTable },
        { tenant: config.tenant, plant: config.plant, line: config.line },
        period,
        {
          idealRates: rates,
          chatterCount: config.chatterCount,
          chatterWindowS: config.chatterWindowS,
          topN: config.topN,
          title: config.title,
        },
        now,
      )
        .then(async (report) => {
          // One message per format, one query for all of them. No msg.headers: the email node would put them on
          // the mail itself (a whole mail typed as a PDF); nodemailer types the attachment from the file name.
          const topic = `${report.title}: ${report.plant}${report.line ? `/${report.line}` : ''}, ${period.label}`;
          const description = SUMMARY_COLUMNS.map(
            (c) => `${c.title}: ${cellText(report.summary[c.key] ?? null)}`,
          ).join('\n');
          const out: NodeMessage[] = [];
          for (const format of formats) {
            const file = await renderReport(report, format);
            out.push({
              ...msg,
              payload: file.payload,
              filename: file.filename,
              contentType: file.contentType,
              topic,
              description,
              report,
            } as NodeMessage);
          }
          const names = out.map((m) => (m as NodeMessage & { filename: string }).filename).join(', ');
          shell.status.ok(shell.text('status.done', { filename: names, ms: Date.now() - started }));
          send([out]);
          done();
        })
        .catch((error: Error) => {
          shell.status.error(error.message);
          done(shell.error('errors.failed', { reason: error.message }));
        });
    });
  }

  registerNode(RED, 'plant-report', PlantReportNode, SETTINGS);
};
