// The alarm-notify node: a thin shell over AlarmNotifier (src/core/alarm-notifier.ts). threshold-alarm events
// and anomaly-detect's flagged points in; messages for the stock email node on output 1 and for an http request
// node calling an SMS webhook on output 2. One timer, armed for whatever is due next (a digest, an escalation).
// What is pending lives in a state file, so a redeploy or restart loses no digest and no escalation.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { join } from 'node:path';
import {
  delayUntil,
  fileNameFor,
  nodeShell,
  registerNode,
  setting,
  SettingError,
  type Done,
  type Send,
  type Settings,
  type StateFile,
} from '@plantwire/node-shell';
import { AlarmNotifier, type Notification } from '../../core/alarm-notifier.js';
import { emailMessage, smsMessages } from '../../core/notification-messages.js';
import { notifyEvents } from '../../core/notify-input.js';
import { parseRoutes, PRIORITIES } from '../../core/notify-routes.js';

// Mail only: SMS numbers need the webhook URL too, and a node fresh from the palette must deploy as it is.
const EXAMPLE_ROUTES = [
  { minPriority: 'high', email: ['shift-lead@example.com'] },
  { minPriority: 'low', email: ['maintenance@example.com'] },
  { escalation: true, email: ['plant-manager@example.com'] },
];

const SETTINGS = {
  routes: setting.text(JSON.stringify(EXAMPLE_ROUTES)),
  tenant: setting.text(''),
  plant: setting.text(''),
  // high: threshold-alarm's critical level is high unless a rule says otherwise, and a critical limit breach is
  // mailed at once, not in the digest.
  immediatePriority: setting.choice('high', PRIORITIES),
  digestMin: setting.number(15, { min: 0.05 }),
  cooldownMin: setting.number(10),
  escalateMin: setting.number(15),
  anomalyPriority: setting.choice('low', PRIORITIES),
  smsUrl: setting.text(''),
  smsFrom: setting.text(''),
};

interface NotifyMessage extends NodeMessage {
  control?: unknown;
}

export = function register(RED: NodeAPI) {
  function AlarmNotifyNode(this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const shell = nodeShell(RED, node, 'alarm-notify');
    let notifier: AlarmNotifier | undefined;
    let settings: Settings<typeof SETTINGS> | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stateFile: StateFile | undefined;
    try {
      settings = shell.settings(def, SETTINGS);
      let routes;
      try {
        routes = parseRoutes(settings.routes);
      } catch (error) {
        throw new SettingError('routes', (error as Error).message);
      }
      if (routes.some((route) => route.sms.length > 0) && settings.smsUrl === '')
        throw new SettingError('smsUrl', shell.text('errors.noSmsUrl'));
      notifier = new AlarmNotifier(
        {
          routes,
          immediatePriority: settings.immediatePriority,
          digestMinutes: settings.digestMin,
          cooldownMinutes: settings.cooldownMin,
          escalateMinutes: settings.escalateMin,
          anomalyPriority: settings.anomalyPriority,
        },
        Date.now(),
      );
      const restoring = notifier;
      stateFile = shell.keepState(
        join(RED.settings.userDir ?? '.', 'plantwire-notify', `${fileNameFor(node.id)}.json`),
        {
          snapshot: () => restoring.snapshot(Date.now()),
          restore: (snapshot) => restoring.restore(snapshot),
        },
      );
      showStatus();
      // What came due while Node-RED was down goes out once the flows (the email node too) have started.
      shell.afterFlowsStart(schedule);
    } catch (error) {
      notifier = undefined;
      shell.refuseSetup(error);
    }

    function showStatus() {
      const { sent, pending } = notifier!.counts;
      const awaiting = notifier!.awaitingAck;
      const text = shell.text('status.counts', { sent, pending, awaiting });
      if (awaiting > 0) shell.status.alert(text);
      else shell.status.ok(text);
    }

    /** Each notification as messages: one email (all its recipients), one SMS request per number. */
    function deliver(notifications: Notification[], send: Send) {
      if (notifications.length === 0) return;
      const emails: NodeMessage[] = [];
      const sms: NodeMessage[] = [];
      const escalateMinutes = settings!.escalateMin;
      for (const notification of notifications) {
        if (notification.email.length > 0)
          emails.push(emailMessage(notification, escalateMinutes) as unknown as NodeMessage);
        sms.push(
          ...(smsMessages(
            notification,
            { url: settings!.smsUrl, from: settings!.smsFrom },
            escalateMinutes,
          ) as unknown as NodeMessage[]),
        );
      }
      send([emails, sms] as unknown as NodeMessage[]);
    }

    function schedule() {
      clearTimeout(timer);
      const due = notifier!.nextDue();
      if (due === Infinity) return;
      timer = setTimeout(
        shell.guard(() => {
          deliver(notifier!.due(Date.now()), (msgs) => node.send(msgs));
          stateFile!.saveSoon();
          showStatus();
          schedule();
        }),
        // A due time past what a timer holds is re-armed when it fires.
        delayUntil(due, Date.now()),
      );
    }

    node.on('input', (msg: NotifyMessage, send: Send, done: Done) => {
      if (!notifier) return done(shell.notConfigured());
      if (msg.control !== undefined) {
        if (msg.control !== 'digest') {
          shell.status.error(shell.text('status.badControl'));
          return done(shell.error('errors.badControl', { control: JSON.stringify(msg.control) }));
        }
        deliver(notifier.due(Date.now(), true), send);
        stateFile!.saveSoon();
        showStatus();
        schedule();
        return done();
      }
      const { events, rejected } = notifyEvents(msg.payload, settings!);
      deliver(notifier.accept(events, Date.now()), send);
      stateFile!.saveSoon();
      schedule();
      if (rejected.length > 0) {
        const first = rejected[0]!;
        shell.status.error(shell.text('status.refused', { refused: rejected.length }));
        return done(
          shell.error('errors.refused', {
            refused: rejected.length,
            count: events.length + rejected.length,
            index: first.index,
            reason: first.reason,
          }),
        );
      }
      showStatus();
      done();
    });

    shell.onClose(async () => {
      clearTimeout(timer);
      // Kept for the next start (a redeploy, a restart, the node or its tab enabled again), where it goes out when
      // due: a message sent while the flows stop may find the email node already stopped.
      await stateFile?.save();
    });
  }

  registerNode(RED, 'alarm-notify', AlarmNotifyNode, SETTINGS);
};
