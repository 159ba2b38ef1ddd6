// The threshold-alarm node: a thin Node-RED shell over AlarmEngine (src/core/alarm). Points in, alarm events
// out on output 1, the current alarm list on output 2; msg.control carries operator commands. State lives in
// its own file under the userDir, so restarts and redeploys keep every alarm without announcing it again.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { AlarmEngine } from '../../core/alarm/alarm-engine.js';
import type { AlarmSnapshot } from '../../core/alarm/alarm-snapshot.js';
import type { KeyFields } from '../../core/series-key.js';
import { StateFile } from '../../core/alarm/state-file.js';

interface ThresholdAlarmDef extends NodeDef {
  key: KeyFields;
  rules: string;
  chatterCount: string;
  chatterWindowS: string;
  chatterShelveMin: string;
  floodCount: string;
  floodWindowS: string;
  maxShelveMin: string;
  maxSeries: string;
  stateName: string;
}

interface AlarmMessage extends NodeMessage {
  control?: unknown;
}

type Send = (msg: (NodeMessage | null)[]) => void;
type Done = (error?: Error) => void;

const STATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// The list is the whole set of current alarms: during a flood, rebuilding it for every message would cost more
// than the alarms. At most one every LIST_THROTTLE_MS, the last change always sent (a trailing update).
const LIST_THROTTLE_MS = 250;
// setTimeout holds at most 2^31-1 ms; a later due time is simply re-armed when that timer fires.
const MAX_TIMER_MS = 2_147_483_647;

// Two nodes writing one state file would overwrite each other's alarms: a path is refused while a node holds it.
const statePathsInUse = new Set<string>();

// Nodes send their restored list once every flow has started (their wires lead somewhere by then). One
// listener per runtime for all of them: a listener per node would trip Node's warning at more than ten.
const startQueues = new WeakMap<EventEmitter, Set<() => void>>();
function startQueue(events: EventEmitter): Set<() => void> {
  let queue = startQueues.get(events);
  if (!queue) {
    const waiting = new Set<() => void>();
    events.on('flows:started', () => {
      for (const start of waiting) start();
      waiting.clear();
    });
    startQueues.set(events, waiting);
    queue = waiting;
  }
  return queue;
}

export = function register(RED: NodeAPI) {
  const waitingForStart = startQueue(RED.events);

  function ThresholdAlarmNode(this: Node, def: ThresholdAlarmDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const stateName = def.stateName?.trim() || node.id;
    let engine: AlarmEngine | undefined;
    let statePath = '';
    let holdsStatePath = false;
    let stateFile: StateFile | undefined;
    let timer: NodeJS.Timeout | undefined;
    let timerDue = Infinity;
    let lastStatus = '';
    let listSentAt = 0;
    let listTimer: NodeJS.Timeout | undefined;

    const number = (value: string | undefined, fallback: number, what: string) => {
      const parsed = value === undefined || value === '' ? fallback : Number(value);
      if (!Number.isFinite(parsed) || parsed < 0)
        throw new Error(`${what} must be a number of 0 or more (got ${value})`);
      return parsed;
    };
    try {
      if (!STATE_NAME.test(stateName))
        throw new Error(`state name "${stateName}" must be letters, digits, '.', '_' or '-'`);
      let rules: unknown;
      try {
        rules = JSON.parse(def.rules || '[]');
      } catch (error) {
        throw new Error(`rules are not valid JSON: ${(error as Error).message}`);
      }
      const key = def.key || 'machine/metric';
      engine = new AlarmEngine({
        rules,
        key,
        chatter: {
          count: number(def.chatterCount, 5, 'chattering count'),
          windowS: number(def.chatterWindowS, 60, 'chattering window'),
          shelveMinutes: number(def.chatterShelveMin, 30, 'chattering shelve time'),
        },
        flood: {
          count: number(def.floodCount, 10, 'flood count'),
          windowS: number(def.floodWindowS, 600, 'flood window'),
        },
        maxShelveMinutes: number(def.maxShelveMin, 1440, 'longest shelve'),
        maxSeries: number(def.maxSeries, 100_000, 'series cap'),
        warn: (message) => node.warn(`threshold-alarm: ${message}`),
      });
      statePath = join(RED.settings.userDir ?? '.', 'plantwire-alarms', `${stateName}.json`);
      if (statePathsInUse.has(statePath)) {
        throw new Error(
          `state file "${stateName}" is already used by another threshold-alarm node: give each node its own`,
        );
      }
      statePathsInUse.add(statePath);
      holdsStatePath = true;
      stateFile = new StateFile(
        statePath,
        () => engine!.snapshot(),
        (error) => {
          // Tried again on the next change (and on close); the status stays red until a save succeeds.
          if (error)
            node.error(`threshold-alarm: could not save alarm state to ${statePath}: ${error.message}`);
          showStatus();
        },
      );
      restore(engine, stateFile);
    } catch (error) {
      engine = undefined;
      node.error(`threshold-alarm: ${(error as Error).message}`);
      node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.slice(0, 60) });
    }

    function restore(loaded: AlarmEngine, file: StateFile) {
      const { unreadable, movedTo, moveError } = file.load((snapshot) => {
        const { restored, dropped } = loaded.restore(snapshot as AlarmSnapshot);
        if (dropped > 0) {
          node.warn(
            `threshold-alarm: ${dropped} saved alarms no longer match the rules or key; ${restored} restored`,
          );
        }
      });
      if (unreadable === undefined) return;
      const reason = `${statePath} was unreadable (${unreadable})`;
      // Start empty all the same; the next save replaces the file, or fails and says so in the status.
      if (moveError !== undefined)
        node.error(`threshold-alarm: ${reason}; could not move it aside (${moveError}); starting empty`);
      else node.warn(`threshold-alarm: ${reason}; moved to ${movedTo}`);
    }

    const showStatus = () => {
      const counts = engine!.counts();
      const parts: string[] = [];
      if (counts.active > 0) parts.push(`${counts.active} active`);
      if (counts.unacknowledged > 0) parts.push(`${counts.unacknowledged} unack`);
      if (counts.shelved > 0) parts.push(`${counts.shelved} shelved`);
      if (counts.suppressed > 0) parts.push(`${counts.suppressed} suppressed`);
      if (counts.outOfService > 0) parts.push(`${counts.outOfService} out of service`);
      if (stateFile?.saveError) parts.unshift('state not saved');
      const text = parts.length > 0 ? parts.join(', ') : 'no alarms';
      if (text === lastStatus) return;
      lastStatus = text;
      const fill =
        counts.unacknowledged > 0 || stateFile?.saveError ? 'red' : parts.length > 0 ? 'yellow' : 'green';
      node.status({ fill, shape: stateFile?.saveError ? 'ring' : 'dot', text });
    };

    /** Sends what the engine has to say: events on output 1, the list on output 2 when it changed. */
    const sendList = (send: Send) => {
      clearTimeout(listTimer);
      listTimer = undefined;
      listSentAt = Date.now();
      send([null, { topic: 'alarm-list', payload: engine!.list() } as NodeMessage]);
      showStatus();
    };

    const flush = (send: Send) => {
      const events = engine!.takeEvents();
      // Each message in its own send(): Node-RED clones every message after the first one of a send().
      if (events.length > 0) send([{ topic: 'alarm-events', payload: events } as NodeMessage, null]);
      if (engine!.takeListChanged()) {
        stateFile!.saveSoon();
        const wait = listSentAt + LIST_THROTTLE_MS - Date.now();
        if (wait <= 0) sendList(send);
        else listTimer ??= setTimeout(() => sendList((msg) => node.send(msg)), wait);
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
        () => {
          timerDue = Infinity;
          engine!.tick();
          flush((msg) => node.send(msg));
        },
        Math.min(Math.max(0, due - engine!.now()), MAX_TIMER_MS),
      );
    };

    /** Applies msg.control; a bad command changes nothing and comes back as the error. */
    const control = (msg: AlarmMessage, send: Send): Error | undefined => {
      const command = msg.control as { command?: unknown } | null;
      if (command?.command === 'list') {
        sendList(send);
        return undefined;
      }
      try {
        engine!.command(command);
      } catch (error) {
        node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.slice(0, 60) });
        lastStatus = '';
        return new Error(`threshold-alarm: ${(error as Error).message}`);
      }
      flush(send);
      showStatus();
      return undefined;
    };

    node.on('input', (msg: AlarmMessage, send: Send, done: Done) => {
      if (!engine) return done(new Error('threshold-alarm: not configured (see the error logged at deploy)'));
      // A command first, then the points of the same message, if any; a bad command refuses both.
      if (msg.control !== undefined) {
        const error = control(msg, send);
        if (error || msg.payload === undefined) return done(error);
      }
      let refused = 0;
      let firstReason = '';
      engine.evaluate(msg.payload, (index, reason) => {
        if (refused++ === 0) firstReason = `point ${index}: ${reason}`;
      });
      flush(send);
      if (refused === 0) {
        // A red status left by refused points or a bad command gives way to the counts again.
        if (lastStatus === '') showStatus();
        return done();
      }
      node.status({ fill: 'red', shape: 'ring', text: `${refused} points refused` });
      lastStatus = '';
      const count = Array.isArray(msg.payload) ? msg.payload.length : 1;
      done(
        new Error(
          `threshold-alarm: ${refused} of ${count} points refused (the rest were evaluated); ${firstReason}`,
        ),
      );
    });

    const sendInitialList = () => {
      if (!engine) return;
      // Quiet start: the restored list for the dashboard, and no events for alarms that were already active.
      engine.takeListChanged();
      sendList((msg) => node.send(msg));
      engine.tick();
      flush((msg) => node.send(msg));
    };
    if (engine) {
      waitingForStart.add(sendInitialList);
      showStatus();
    }

    node.on('close', (removed: boolean, done: () => void) => {
      waitingForStart.delete(sendInitialList);
      clearTimeout(timer);
      clearTimeout(listTimer);
      if (holdsStatePath) statePathsInUse.delete(statePath);
      if (stateFile) {
        // A node keyed by its own id cannot come back once deleted: its file goes with it. Named state stays.
        if (removed && !def.stateName?.trim()) stateFile.delete();
        else stateFile.save();
      }
      done();
    });
  }

  RED.nodes.registerType('threshold-alarm', ThresholdAlarmNode);
};
