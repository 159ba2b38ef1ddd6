// The telemetry-validate node: the cloud's front door (src/core/ingest-gate.ts) in a flow. Behind an http in
// node it checks bearer tokens; behind an MQTT in node it takes points or the metrics shape from the topic. The
// events mode is the http mode for plant events (src/core/events.ts).
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { admit, admitEvents, parseTokens, type GateOptions } from '../../core/ingest-gate.js';

interface ValidateDef extends NodeDef {
  mode: 'http' | 'mqtt' | 'events';
  maxPoints: string;
  maxKB: string;
  plant: string;
  line: string;
  arrivalTime: boolean;
}

interface IngestMessage extends NodeMessage {
  req?: { headers?: Record<string, unknown> };
  res?: unknown;
}

type Send = (msg: (NodeMessage | null)[]) => void;
type Done = (error?: Error) => void;

export = function register(RED: NodeAPI) {
  function TelemetryValidate(this: Node<{ tokens?: string }>, def: ValidateDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const mode = def.mode === 'mqtt' || def.mode === 'events' ? def.mode : 'http';
    const gate = mode === 'events' ? admitEvents : admit;
    let options: GateOptions | undefined;
    try {
      const tokens = parseTokens(node.credentials?.tokens);
      // An imported example has no tokens (credentials never travel in a flow): it deploys, and says so.
      if (mode !== 'mqtt' && Object.keys(tokens).length === 0) {
        node.warn('telemetry-validate: no tokens configured: every request gets 401 until one is added');
        node.status({ fill: 'yellow', shape: 'ring', text: 'no tokens: every request gets 401' });
      }
      options = {
        tokens: mode !== 'mqtt' ? tokens : undefined,
        maxPoints: Number(def.maxPoints) > 0 ? Number(def.maxPoints) : 10_000,
        maxBytes: (Number(def.maxKB) > 0 ? Number(def.maxKB) : 10_240) * 1024,
        plant: def.plant?.trim() || undefined,
        line: def.line?.trim() || undefined,
        arrivalTime: def.arrivalTime === true,
      };
    } catch (error) {
      node.error(`telemetry-validate: ${(error as Error).message}`);
      node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.slice(0, 60) });
    }
    let accepted = 0;
    let refused = 0;

    node.on('input', (msg: IngestMessage, send: Send, done: Done) => {
      if (!options)
        return done(new Error('telemetry-validate: not configured (see the error logged at deploy)'));
      const headers = msg.req?.headers ?? {};
      const length = Number(headers['content-length']);
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
          payload: { accepted: 0, rejected: result.rejected, error: result.message },
        }) as NodeMessage;
      if (result.status === 200) {
        const out = { ...msg, payload: result.accepted, statusCode: 200, ingest: summary } as NodeMessage;
        // An HTTP request is answered after the write; over MQTT nobody answers, so refusals go out on their own.
        const report = msg.res === undefined && result.rejected.length > 0 ? answer() : null;
        if (report) delete (report as IngestMessage).res;
        send([out, report]);
        node.status({ fill: 'green', shape: 'dot', text: `${accepted} accepted, ${refused} refused` });
        return done();
      }
      send([null, answer()]);
      node.status({
        fill: 'yellow',
        shape: 'ring',
        text: `${result.status}: ${result.message ?? result.rejected[0]?.reason ?? ''}`.slice(0, 60),
      });
      done(
        new Error(
          `telemetry-validate: ${result.status} ${result.message ?? result.rejected.map((r) => `#${r.index} ${r.reason}`).join('; ')}`,
        ),
      );
    });
  }

  RED.nodes.registerType('telemetry-validate', TelemetryValidate as never, {
    credentials: { tokens: { type: 'password' } },
  });
};
