// The telemetry-validate node: the cloud's front door (src/core/ingest-gate.ts) in a flow. Behind an http in
// node it checks bearer tokens (src/core/ingest-tokens.ts: tenant, scope, rate), from its credentials and from a
// tokens file it watches (src/core/token-file.ts); behind an MQTT in node it takes points or the metrics shape
// from the topic. The events mode is the http mode for plant events (src/core/events.ts).
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { nodeShell, registerNode, setting, Throttle, type Done, type Send } from '@plantwire/node-shell';
import { admit, admitEvents, type GateOptions } from '../../core/ingest-gate.js';
import { mergeTokens, parseTokens, RateLimiter, type TokenTable } from '../../core/ingest-tokens.js';
import { readTokenFile, watchTokenFile, type TokenFileState } from '../../core/token-file.js';

const SETTINGS = {
  mode: setting.choice('http', ['http', 'mqtt', 'events']),
  maxPoints: setting.integer(10_000, { min: 1 }),
  maxKB: setting.number(10_240, { min: 1 }),
  plant: setting.identifier(),
  line: setting.identifier(),
  arrivalTime: setting.flag(false),
  tokensFile: setting.text(''),
};

interface IngestMessage extends NodeMessage {
  req?: { headers?: Record<string, unknown> };
  res?: unknown;
}

export = function register(RED: NodeAPI) {
  function TelemetryValidate(this: Node<{ tokens?: string }>, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const shell = nodeShell(RED, node, 'telemetry-validate');
    let gate: typeof admit | typeof admitEvents = admit;
    let options: GateOptions | undefined;
    /** The tokens file's first broken line, shown in red until the file is fixed. */
    let tokenProblem = '';
    try {
      const settings = shell.settings(def, SETTINGS);
      const { mode } = settings;
      if (mode === 'events') gate = admitEvents;
      const fromCredentials = parseTokens(node.credentials?.tokens);
      const limiter = new RateLimiter();
      const gateOptions: GateOptions = {
        maxPoints: settings.maxPoints,
        maxBytes: settings.maxKB * 1024,
        plant: settings.plant || undefined,
        line: settings.line || undefined,
        arrivalTime: settings.arrivalTime,
      };
      const useTokens = (tokens: TokenTable, file?: TokenFileState) => {
        gateOptions.tokens = tokens;
        gateOptions.limiter = limiter;
        limiter.keepOnly(tokens);
        tokenProblem = file?.errors[0] ?? '';
        if (file && file.errors.length > 0) {
          for (const error of file.errors) node.warn(`telemetry-validate: ${error}`);
          shell.status.error(file.errors[0]!);
        } else if (tokens.size === 0) {
          // An imported example has no tokens (credentials never travel in a flow): it deploys, and says so.
          shell.warn('warnings.noTokens');
          shell.status.warn(shell.text('status.noTokens'));
        } else {
          shell.status.ok(shell.text('status.tokens', { count: tokens.size }));
        }
      };
      if (mode !== 'mqtt') {
        const path = settings.tokensFile.trim();
        if (path === '') useTokens(fromCredentials);
        else {
          const apply = (file: TokenFileState) => useTokens(mergeTokens(fromCredentials, file.table), file);
          apply(readTokenFile(path));
          const stop = watchTokenFile(path, apply);
          shell.onClose(() => stop());
        }
      }
      options = gateOptions;
    } catch (error) {
      shell.refuseSetup(error);
    }
    let accepted = 0;
    let refused = 0;
    // Counts at most twice a second (a status per request costs more than checking it); a broken tokens-file
    // line stays red until the file is fixed.
    const showCounts = new Throttle(500, () => {
      if (tokenProblem) shell.status.error(tokenProblem);
      else shell.status.ok(shell.text('status.counts', { accepted, refused }));
    });
    shell.onClose(() => showCounts.cancel());

    node.on('input', (msg: IngestMessage, send: Send, done: Done) => {
      if (!options) return done(shell.notConfigured());
      const headers = (typeof msg.req === 'object' && msg.req?.headers) || {};
      // Whatever a message carries is checked for its type first: a header may be any value in a flow.
      const declared = headers['content-length'];
      const length = typeof declared === 'string' || typeof declared === 'number' ? Number(declared) : NaN;
      const result = gate(
        {
          body: msg.payload,
          authorization: headers.authorization,
          bytes: Number.isFinite(length) ? length : undefined,
          topic: typeof msg.topic === 'string' ? msg.topic : undefined,
        },
        options,
      );
      accepted += result.accepted.length;
      refused += result.rejected.length;
      const summary = {
        status: result.status,
        tenant: result.tenant,
        accepted: result.accepted.length,
        rejected: result.rejected,
      };
      const answer = () =>
        ({
          ...msg,
          statusCode: result.status,
          payload: { accepted: result.accepted.length, rejected: result.rejected, error: result.message },
          // The http response node sends msg.headers: the edge's store-forward waits as long as this says.
          ...(result.retryAfterS !== undefined && { headers: { 'Retry-After': String(result.retryAfterS) } }),
        }) as NodeMessage;
      if (result.status === 200) {
        const out = { ...msg, payload: result.accepted, statusCode: 200, ingest: summary } as NodeMessage;
        // An HTTP request is answered after the write; over MQTT nobody answers, so refusals go out on their own.
        const report = msg.res === undefined && result.rejected.length > 0 ? answer() : null;
        if (report) delete (report as IngestMessage).res;
        send([out, report]);
        showCounts.request();
        return done();
      }
      // Node-RED copies a failed message for Catch nodes, recursively: a payload nested thousands deep would
      // overflow the stack there, so such a payload is not passed on.
      if (result.dropBody) msg.payload = undefined;
      send([null, answer()]);
      if (result.status === 429) {
        // Flow control, not a fault: the sender is told when to come back; no error for Catch or the log.
        shell.status.warn(shell.text('status.limited', { seconds: result.retryAfterS ?? 1 }));
        return done();
      }
      shell.status.warn(
        shell.text('status.refusedRequest', {
          status: result.status,
          reason: result.message ?? result.rejected[0]?.reason ?? '',
        }),
      );
      done(
        shell.error('errors.refused', {
          status: result.status,
          reason: result.message ?? result.rejected.map((r) => `#${r.index} ${r.reason}`).join('; '),
        }),
      );
    });
  }

  registerNode(RED, 'telemetry-validate', TelemetryValidate, SETTINGS, {
    tokens: { type: 'password' },
  });
};
