// The machine-sim node: a thin Node-RED shell over PlantSimulator (src/core). Ticks on a timer (stop pauses
// the plant), turns commands into faults, streams backfills in arrays.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { buildTopic, type Point } from '@plantwire/telemetry';
import { nodeShell, registerNode, setting, type Done, type Send } from '@plantwire/node-shell';
import { BackfillRun, backfillSpan, type BackfillBatch } from '../../core/backfill.js';
import { CONFIG_DEFAULTS, parseConfig, SimulatorError, type SimulatorConfig } from '../../core/config.js';
import { PlantSimulator } from '../../core/plant-simulator.js';
import { parseCommand, type Command } from '../../core/commands.js';
import { DEFAULT_DWELL_S, STATES } from '../../core/machine-types.js';

// The plant's settings are checked by the core's parseConfig (texts as the editor gives them); the spec
// carries their defaults to the editor and parses what only the shell uses.
const SETTINGS = {
  tenant: setting.text(CONFIG_DEFAULTS.tenant),
  plant: setting.text(CONFIG_DEFAULTS.plant),
  lines: setting.text(String(CONFIG_DEFAULTS.lines)),
  machinesPerLine: setting.text(String(CONFIG_DEFAULTS.machinesPerLine)),
  machineTypes: setting.text(CONFIG_DEFAULTS.machineTypes),
  // In seconds: the core's range (10 ms to an hour), checked here so a refusal names the setting as written.
  interval: setting.number(CONFIG_DEFAULTS.intervalMs / 1000, { min: 0.01, max: 3600 }),
  seed: setting.text(),
  output: setting.choice('array', ['array', 'point']),
  autostart: setting.flag(true),
  dwellRunning: setting.text(String(DEFAULT_DWELL_S.RUNNING)),
  dwellIdle: setting.text(String(DEFAULT_DWELL_S.IDLE)),
  dwellSetup: setting.text(String(DEFAULT_DWELL_S.SETUP)),
  dwellError: setting.text(String(DEFAULT_DWELL_S.ERROR)),
  dwellMaintenance: setting.text(String(DEFAULT_DWELL_S.MAINTENANCE)),
};

export = function register(RED: NodeAPI) {
  function MachineSimNode(this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const shell = nodeShell(RED, node, 'machine-sim');
    let config: SimulatorConfig | undefined;
    let plant: PlantSimulator | undefined;
    let timer: NodeJS.Timeout | undefined;
    let backfill: BackfillRun | undefined;
    /** Ends the running backfill's command with an error saying how far it got (a close cuts it short). */
    let cutBackfill: (() => void) | undefined;
    let setupError: string | undefined;
    let output: 'array' | 'point' = 'array';
    let autostart = true;

    try {
      const settings = shell.settings(def, SETTINGS);
      output = settings.output;
      autostart = settings.autostart;
      const dwell = [
        settings.dwellRunning,
        settings.dwellIdle,
        settings.dwellSetup,
        settings.dwellError,
        settings.dwellMaintenance,
      ];
      config = parseConfig({
        tenant: settings.tenant,
        plant: settings.plant,
        lines: settings.lines,
        machinesPerLine: settings.machinesPerLine,
        machineTypes: settings.machineTypes,
        intervalMs: Math.round(settings.interval * 1000),
        seed: settings.seed,
        dwellS: Object.fromEntries(STATES.map((state, i) => [state, dwell[i]])),
      });
      plant = new PlantSimulator(config, Date.now());
    } catch (error) {
      setupError = (error as Error).message;
      shell.refuseSetup(error);
    }

    const eventTopic = config ? `v1/${config.tenant}/${config.plant}/events` : '';

    const showStatus = () => {
      if (!plant) return;
      const { machines, running, faulted } = plant.counts();
      const mode = shell.text(`status.${backfill ? 'backfilling' : timer ? 'running' : 'stopped'}`);
      const text = shell.text('status.counts', { mode, running, machines, faulted });
      if (!timer && !backfill) shell.status.idle(text);
      else if (faulted > 0) shell.status.warn(text);
      else shell.status.ok(text);
    };

    const sendPoints = (send: Send, points: Point[], extra: Record<string, unknown> = {}) => {
      if (points.length === 0) return;
      if (output === 'point') {
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
      // A stopped (or not yet started) plant stood still: it goes on from now as it was when it stopped.
      plant!.pauseUntil(Date.now());
      timer = setInterval(shell.guard(tick), config!.intervalMs);
      showStatus();
    };

    const stop = () => {
      clearInterval(timer);
      timer = undefined;
      showStatus();
    };

    const runBackfill = (command: Command, send: Send, done: Done) => {
      if (backfill) throw new SimulatorError(shell.text('errors.backfillRunning'));
      const span = backfillSpan(command, Date.now());
      const { from, to } = span;
      const spanText = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
      let sent = 0;
      cutBackfill = () => done(shell.error('errors.backfillCut', { ...spanText, points: sent }));
      backfill = new BackfillRun(config!, span, {
        batch: ({ points, events, progress, total }: BackfillBatch) => {
          sendPoints(send, points, { backfill: { from, to, progress } });
          sent = total;
          if (events.length > 0) {
            send([
              null,
              events.map((event) => ({ topic: eventTopic, payload: event, backfill: { from, to } })),
            ]);
          }
          shell.status.busy(
            shell.text('status.backfill', { percent: Math.floor(progress * 100), points: total }),
          );
        },
        finished: (total) => {
          backfill = undefined;
          node.log(shell.text('log.backfillDone', { ...spanText, points: total }));
          showStatus();
          done();
        },
        failed: (error) => {
          backfill = undefined;
          const params = { ...spanText, points: sent, reason: (error as Error).message };
          shell.status.error(shell.text('status.backfillFailed', params));
          done(shell.error('errors.backfillFailed', params));
        },
      });
      showStatus();
      backfill.start();
    };

    node.on('input', (msg: NodeMessage, send: Send, done: Done) => {
      try {
        if (setupError) throw new SimulatorError(shell.text('errors.notConfigured', { reason: setupError }));
        // An MQTT in node without JSON parsing hands over a string or Buffer.
        let payload: unknown = msg.payload;
        if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
          const text = payload.toString();
          try {
            payload = JSON.parse(text);
          } catch {
            throw new SimulatorError(
              shell.text('errors.notJson', { got: JSON.stringify(text.slice(0, 40)) }),
            );
          }
        }
        const command = parseCommand(payload);
        if (command.cmd === 'start') start();
        else if (command.cmd === 'stop') stop();
        else if (command.cmd === 'backfill') return runBackfill(command, send, done);
        else {
          const now = Math.max(Date.now(), plant!.time);
          // A stopped plant stands still up to the command, so a fault's duration runs once it is started.
          if (!timer) plant!.pauseUntil(now);
          const outcome = plant!.command(command, now);
          sendEvents(send);
          if (outcome.control) sendControl(send, outcome.control);
        }
        showStatus();
        done();
      } catch (error) {
        shell.status.error((error as Error).message);
        done(error as Error);
      }
    });

    shell.onClose(() => {
      clearInterval(timer);
      timer = undefined;
      // On a partial redeploy the store-forward node it paused keeps running: it must hear the outage end.
      const control = plant?.endOutage();
      if (control) {
        const send: Send = (msg) => node.send(msg);
        sendEvents(send);
        sendControl(send, control);
      }
      if (backfill) {
        backfill.cancel();
        // Its command fails, so no Complete node counts a partial backfill as done.
        cutBackfill!();
      }
    });

    if (plant) {
      if (autostart) start();
      else showStatus();
    }
  }

  registerNode(RED, 'machine-sim', MachineSimNode, SETTINGS);
};
