// The machine-sim node: a thin Node-RED shell over PlantSimulator (src/core). Ticks on a timer, turns
// commands into faults, streams backfills in arrays.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { buildTopic, type Point } from '@plantwire/telemetry';
import {
  parseConfig,
  SimulatorError,
  type SimulatorConfig,
  type SimulatorConfigInput,
} from '../../core/config.js';
import { PlantSimulator } from '../../core/engine.js';
import { parseCommand, type Command } from '../../core/faults.js';
import { STATES } from '../../core/machine-types.js';

interface MachineSimDef extends NodeDef {
  tenant: string;
  plant: string;
  lines: string;
  machinesPerLine: string;
  machineTypes: string;
  interval: string;
  seed: string;
  output: 'array' | 'point';
  autostart: boolean;
  dwellRunning: string;
  dwellIdle: string;
  dwellSetup: string;
  dwellError: string;
  dwellMaintenance: string;
}

type Send = (msg: (NodeMessage | NodeMessage[] | null)[]) => void;

/** A backfill sends one array per event-loop turn, so the flow keeps moving while it runs. */
const BACKFILL_BATCH_POINTS = 10_000;

export = function register(RED: NodeAPI) {
  function MachineSimNode(this: Node, def: MachineSimDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    let config: SimulatorConfig | undefined;
    let plant: PlantSimulator | undefined;
    let timer: NodeJS.Timeout | undefined;
    let backfill: { cancelled: boolean } | undefined;
    let setupError: string | undefined;

    try {
      const dwell = [def.dwellRunning, def.dwellIdle, def.dwellSetup, def.dwellError, def.dwellMaintenance];
      const input: SimulatorConfigInput = {
        tenant: def.tenant,
        plant: def.plant,
        lines: def.lines,
        machinesPerLine: def.machinesPerLine,
        machineTypes: def.machineTypes,
        intervalMs:
          def.interval === undefined || def.interval === ''
            ? undefined
            : Math.round(Number(def.interval) * 1000),
        seed: def.seed,
        dwellS: Object.fromEntries(STATES.map((state, i) => [state, dwell[i]])),
      };
      config = parseConfig(input);
      plant = new PlantSimulator(config, Date.now());
    } catch (error) {
      setupError = (error as Error).message;
      node.error(`machine-sim: ${setupError}`);
      node.status({ fill: 'red', shape: 'ring', text: setupError.slice(0, 60) });
    }

    const eventTopic = config ? `v1/${config.tenant}/${config.plant}/events` : '';

    const showStatus = () => {
      if (!plant) return;
      const { machines, running, faulted } = plant.counts();
      const mode = backfill ? 'backfilling' : timer ? 'running' : 'stopped';
      node.status({
        fill: timer || backfill ? (faulted > 0 ? 'yellow' : 'green') : 'grey',
        shape: timer || backfill ? 'dot' : 'ring',
        text: `${mode}: ${running}/${machines} running, ${faulted} faulted`,
      });
    };

    const sendPoints = (send: Send, points: Point[], extra: Record<string, unknown> = {}) => {
      if (points.length === 0) return;
      if (def.output === 'point') {
        send([points.map((point) => ({ topic: buildTopic(point), payload: point, ...extra }))]);
      } else {
        // The array goes first and alone: Node-RED clones every message after the first of a send().
        send([{ topic: `v1/${config!.tenant}/${config!.plant}`, payload: points, ...extra }]);
      }
    };

    const sendEvents = (send: Send) => {
      const events = plant!.drainEvents();
      if (events.length > 0) {
        send([null, events.map((event) => ({ topic: eventTopic, payload: event }))]);
      }
    };

    const sendControl = (send: Send, control: 'pause' | 'resume') =>
      send([null, null, { topic: 'network_outage', control, payload: { control, ts: plant!.time } }]);

    const tick = () => {
      const now = Date.now();
      if (now <= plant!.time) return;
      const send: Send = (msg) => node.send(msg);
      sendPoints(send, plant!.tick(now));
      sendEvents(send);
      const control = plant!.takeControl();
      if (control) sendControl(send, control);
      showStatus();
    };

    const start = () => {
      if (timer) return;
      // Time moves on from now: a stopped plant does not replay the pause.
      if (Date.now() > plant!.time) plant!.tick(Date.now());
      plant!.drainEvents();
      timer = setInterval(tick, config!.intervalMs);
      showStatus();
    };

    const stop = () => {
      clearInterval(timer);
      timer = undefined;
      showStatus();
    };

    const runBackfill = (command: Command, send: Send, done: (error?: Error) => void) => {
      if (backfill)
        return done(new SimulatorError('backfill: one is already running; wait for it to finish'));
      const to = command.to ?? Date.now();
      const from = command.from ?? to - command.hours! * 3_600_000;
      if (!(from < to)) return done(new SimulatorError('backfill: from must be before to'));
      const job = { cancelled: false };
      backfill = job;
      const batches = PlantSimulator.backfill(config!, from, to, BACKFILL_BATCH_POINTS);
      let points = 0;
      const step = () => {
        if (job.cancelled) return;
        const next = batches.next();
        if (next.done) {
          backfill = undefined;
          node.log(
            `backfill of ${new Date(from).toISOString()}..${new Date(to).toISOString()} done: ${points} points`,
          );
          showStatus();
          return done();
        }
        const batch = next.value;
        points += batch.points.length;
        const progress = ((batch.points.at(-1)?.ts ?? to) - from) / (to - from);
        sendPoints(send, batch.points, { backfill: { from, to, progress } });
        if (batch.events.length > 0) {
          send([
            null,
            batch.events.map((event) => ({ topic: eventTopic, payload: event, backfill: { from, to } })),
          ]);
        }
        node.status({
          fill: 'blue',
          shape: 'dot',
          text: `backfill ${Math.floor(progress * 100)}%: ${points} points`,
        });
        setImmediate(step);
      };
      showStatus();
      step();
    };

    node.on('input', (msg: NodeMessage, send: Send, done: (error?: Error) => void) => {
      try {
        if (setupError) throw new SimulatorError(`not configured: ${setupError}`);
        // An MQTT in node without JSON parsing hands over a string or Buffer.
        let payload: unknown = msg.payload;
        if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
          const text = payload.toString();
          try {
            payload = JSON.parse(text);
          } catch {
            throw new SimulatorError(
              `a command must be JSON like {"cmd":"bearing_fault","value":true} (got ${JSON.stringify(text.slice(0, 40))})`,
            );
          }
        }
        const command = parseCommand(payload);
        if (command.cmd === 'start') start();
        else if (command.cmd === 'stop') stop();
        else if (command.cmd === 'backfill') return runBackfill(command, send, done);
        else {
          const outcome = plant!.command(command, Math.max(Date.now(), plant!.time));
          sendEvents(send);
          if (outcome.control) sendControl(send, outcome.control);
        }
        showStatus();
        done();
      } catch (error) {
        node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.slice(0, 60) });
        done(error as Error);
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(timer);
      timer = undefined;
      if (backfill) backfill.cancelled = true;
      done();
    });

    if (plant) {
      if (def.autostart !== false) start();
      else showStatus();
    }
  }

  RED.nodes.registerType('machine-sim', MachineSimNode);
};
