// The threshold-alarm node: a thin Node-RED shell over AlarmEngine (src/core/alarm). Points in, alarm events
// out on output 1, the current alarm list on output 2; msg.control carries operator commands. State lives in
// its own file under the userDir, so restarts and redeploys keep every alarm without announcing it again.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { join } from 'node:path';
import {
  delayUntil,
  fileNameFor,
  nodeShell,
  registerNode,
  setting,
  SettingError,
  Throttle,
  type Done,
  type Send,
  type StateFile,
} from '@plantwire/node-shell';
import { AlarmEngine } from '../../core/alarm/alarm-engine.js';
import type { AlarmSnapshot } from '../../core/alarm/alarm-snapshot.js';
import { KEY_FIELDS, type KeyFields } from '../../core/series-key.js';

const SETTINGS = {
  key: setting.choice('machine/metric', Object.keys(KEY_FIELDS) as KeyFields[]),
  // No rules, no alarms: it deploys, with a warning and a yellow status; the editor starts a new node from an
  // example rule instead.
  rules: setting.text('[]'),
  chatterCount: setting.integer(5),
  chatterWindowS: setting.number(60),
  chatterShelveMin: setting.number(30),
  floodCount: setting.integer(10),
  floodWindowS: setting.number(600),
  maxShelveMin: setting.number(1440),
  maxSeries: setting.integer(100_000, { min: 1 }),
  stateName: setting.identifier(),
};

interface AlarmMessage extends NodeMessage {
  control?: unknown;
}

// The list is the whole set of current alarms: during a flood, rebuilding it for every message would cost more
// than the alarms. At most one every LIST_THROTTLE_MS, the last change always sent (a trailing update).
const LIST_THROTTLE_MS = 250;

// Two nodes writing one state file would overwrite each other's alarms: a path is refused while a node holds it.
const statePathsInUse = new Set<string>();

export = function register(RED: NodeAPI) {
  function ThresholdAlarmNode(this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const shell = nodeShell(RED, node, 'threshold-alarm');
    let engine: AlarmEngine | undefined;
    let statePath = '';
    let holdsStatePath = false;
    let stateFile: StateFile | undefined;
    let timer: NodeJS.Timeout | undefined;
    let timerDue = Infinity;
    // A red status for refused points or a bad command stays until the next good message.
    let refusalShown = false;
    // Deployed without a rule: it checks nothing, and says so.
    let noRules = false;

    try {
      const settings = shell.settings(def, SETTINGS);
      const stateName = settings.stateName || node.id;
      let rules: unknown;
      try {
        rules = JSON.parse(settings.rules);
      } catch (error) {
        throw new SettingError(
          'rules',
          shell.text('errors.rulesNotJson', { reason: (error as Error).message }),
        );
      }
      engine = new AlarmEngine({
        rules,
        key: settings.key,
        chatter: {
          count: settings.chatterCount,
          windowS: settings.chatterWindowS,
          shelveMinutes: settings.chatterShelveMin,
        },
        flood: { count: settings.floodCount, windowS: settings.floodWindowS },
        maxShelveMinutes: settings.maxShelveMin,
        maxSeries: settings.maxSeries,
        warn: (message) => shell.warn('warnings.engine', { message }),
      });
      noRules = engine.rules.limits.length === 0 && engine.rules.composites.length === 0;
      if (noRules) shell.warn('warnings.noRules');
      statePath = join(RED.settings.userDir ?? '.', 'plantwire-alarms', `${fileNameFor(stateName)}.json`);
      if (statePathsInUse.has(statePath))
        throw new SettingError('stateName', shell.text('errors.stateInUse', { name: stateName }));
      statePathsInUse.add(statePath);
      holdsStatePath = true;
      const restoring = engine;
      stateFile = shell.keepState(statePath, {
        snapshot: () => restoring.snapshot(),
        restore: (snapshot) => {
          const { restored, dropped } = restoring.restore(snapshot as AlarmSnapshot);
          if (dropped > 0) shell.warn('warnings.dropped', { dropped, restored });
        },
        // A failed save is tried again on the next change (and on close); the status stays red until one succeeds.
        onSaveResult: () => showStatus(),
      });
    } catch (error) {
      engine = undefined;
      shell.refuseSetup(error);
    }

    const showStatus = () => {
      refusalShown = false;
      const counts = engine!.counts();
      const parts: string[] = [];
      if (counts.active > 0) parts.push(shell.text('status.active', { count: counts.active }));
      if (counts.unacknowledged > 0)
        parts.push(shell.text('status.unacknowledged', { count: counts.unacknowledged }));
      if (counts.shelved > 0) parts.push(shell.text('status.shelved', { count: counts.shelved }));
      if (counts.suppressed > 0) parts.push(shell.text('status.suppressed', { count: counts.suppressed }));
      if (counts.outOfService > 0)
        parts.push(shell.text('status.outOfService', { count: counts.outOfService }));
      if (stateFile?.saveError) parts.unshift(shell.text('status.notSaved'));
      const text =
        parts.length > 0 ? parts.join(', ') : shell.text(noRules ? 'status.noRules' : 'status.none');
      if (stateFile?.saveError) shell.status.error(text);
      else if (noRules) shell.status.warn(text);
      else if (counts.unacknowledged > 0) shell.status.alert(text);
      else if (parts.length > 0) shell.status.warn(text);
      else shell.status.ok(text);
    };

    const list = new Throttle(LIST_THROTTLE_MS, () => {
      node.send([null, { topic: 'alarm-list', payload: engine!.list() } as NodeMessage]);
      showStatus();
    });

    /** Sends what the engine has to say: events on output 1, the list on output 2 when it changed. */
    const flush = (send: Send) => {
      const events = engine!.takeEvents();
      // Each message in its own send(): Node-RED clones every message after the first one of a send().
      if (events.length > 0) send([{ topic: 'alarm-events', payload: events } as NodeMessage, null]);
      if (engine!.takeListChanged()) {
        stateFile!.saveSoon();
        list.request();
      } else if (events.length > 0) stateFile!.saveSoon();
      schedule();
    };

    /** One timer for whatever is due next (delays, shelve ends, re-alarms), so they fire without new points. */
    const schedule = () => {
      const due = engine!.nextDueAt() ?? Infinity;
      if (due === timerDue) return;
      clearTimeout(timer);
      timerDue = due;
      if (due === Infinity) return;
      timer = setTimeout(
        shell.guard(() => {
          timerDue = Infinity;
          engine!.tick();
          flush((msg) => node.send(msg));
        }),
        // A due time past what a timer holds is re-armed when it fires.
        delayUntil(due, engine!.now()),
      );
    };

    const showRefusal = (text: string) => {
      shell.status.error(text);
      refusalShown = true;
    };

    /** Applies msg.control; a bad command changes nothing and comes back as the error. */
    const control = (msg: AlarmMessage, send: Send): Error | undefined => {
      const command = msg.control as { command?: unknown } | null;
      if (command?.command === 'list') {
        list.now();
        return undefined;
      }
      try {
        engine!.command(command);
      } catch (error) {
        showRefusal((error as Error).message);
        return shell.error('errors.command', { reason: (error as Error).message });
      }
      flush(send);
      showStatus();
      return undefined;
    };

    node.on('input', (msg: AlarmMessage, send: Send, done: Done) => {
      if (!engine) return done(shell.notConfigured());
      // A command first, then the points of the same message, if any; a bad command refuses both.
      if (msg.control !== undefined) {
        const error = control(msg, send);
        if (error || msg.payload === undefined) return done(error);
      }
      let refused = 0;
      let first = { index: 0, reason: '' };
      engine.evaluate(msg.payload, (index, reason) => {
        if (refused++ === 0) first = { index, reason };
      });
      flush(send);
      if (refused === 0) {
        // A red status left by refused points or a bad command gives way to the counts again.
        if (refusalShown) showStatus();
        return done();
      }
      showRefusal(shell.text('status.refused', { refused }));
      const count = Array.isArray(msg.payload) ? msg.payload.length : 1;
      done(shell.error('errors.pointsRefused', { refused, count, ...first }));
    });

    const sendInitialList = () => {
      if (!engine) return;
      // Quiet start: the restored list for the dashboard, and no events for alarms that were already active.
      engine.takeListChanged();
      list.now();
      engine.tick();
      flush((msg) => node.send(msg));
    };
    if (engine) {
      // The restored list once every flow has started: its wires lead somewhere by then.
      shell.afterFlowsStart(sendInitialList);
      showStatus();
    }

    shell.onClose(async () => {
      clearTimeout(timer);
      list.cancel();
      // Saved even when removed: Node-RED also removes a node that is disabled (or on a disabled tab), and one
      // deleted in the editor comes back under the same id with an undo. Its acks and shelves must come back too.
      await stateFile?.save();
      if (holdsStatePath) statePathsInUse.delete(statePath);
    });
  }

  registerNode(RED, 'threshold-alarm', ThresholdAlarmNode, SETTINGS);
};
