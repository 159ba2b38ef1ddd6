// Operator commands (ISA-18.2): acknowledge, shelve for a time, suppress, take out of service, and back.
// A command is checked completely before anything changes.
import type { Alarm } from './alarm.js';
import type { AlarmTransitions } from './alarm-transitions.js';

export const ALARM_COMMANDS = [
  'ack',
  'shelve',
  'unshelve',
  'suppress',
  'unsuppress',
  'disable',
  'enable',
] as const;
export type AlarmCommandName = (typeof ALARM_COMMANDS)[number];

export interface AlarmCommand {
  command: AlarmCommandName;
  /** An alarm id, or '*' for every alarm. */
  alarm: string;
  /** shelve only: how long, 0 < minutes <= maxShelveMinutes. */
  minutes?: number;
  /** Who asked (kept in the event, for the audit trail). */
  by?: string;
}

export class AlarmCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlarmCommandError';
  }
}

/** The command, if it is one these alarms can take; otherwise an AlarmCommandError saying what is wrong. */
export function checkCommand(
  input: unknown,
  alarms: ReadonlyMap<string, Alarm>,
  maxShelveMinutes: number,
): AlarmCommand {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AlarmCommandError(
      `a command must be an object such as {"command": "ack", "alarm": "<id>" or "*"} (got ${JSON.stringify(input)})`,
    );
  }
  const command = input as Record<string, unknown>;
  if (!ALARM_COMMANDS.includes(command.command as AlarmCommandName)) {
    throw new AlarmCommandError(
      `unknown command ${JSON.stringify(command.command)}: use ${ALARM_COMMANDS.join(', ')}`,
    );
  }
  if (typeof command.alarm !== 'string' || command.alarm === '') {
    throw new AlarmCommandError(`${String(command.command)} needs alarm: an alarm id or "*" for all`);
  }
  if (command.alarm !== '*' && !alarms.has(command.alarm)) {
    throw new AlarmCommandError(
      `no alarm with id ${JSON.stringify(command.alarm)} (${alarms.size} alarms known)`,
    );
  }
  if (command.command === 'shelve') {
    const minutes = command.minutes;
    if (typeof minutes !== 'number' || !(minutes > 0 && minutes <= maxShelveMinutes)) {
      throw new AlarmCommandError(
        `shelve needs minutes: a number above 0 and at most ${maxShelveMinutes} (got ${JSON.stringify(minutes)})`,
      );
    }
  }
  if (command.by !== undefined && (typeof command.by !== 'string' || command.by.length > 64)) {
    throw new AlarmCommandError('by must be a string of at most 64 characters (who sent the command)');
  }
  return command as unknown as AlarmCommand;
}

/** Applies a checked command to one alarm at its event time `now`; false when it had nothing to do there. */
export function applyCommand(
  alarm: Alarm,
  command: AlarmCommand,
  now: number,
  transitions: AlarmTransitions,
): boolean {
  const before = alarm.state;
  const by = command.by;
  const suffix = by ? ` by ${by}` : '';
  switch (command.command) {
    case 'ack':
      if (alarm.masked || alarm.acked) return false;
      alarm.acked = true;
      transitions.announce(alarm, before, now, `acknowledged${suffix}`, by);
      return true;
    case 'shelve':
      alarm.shelvedUntil = now + command.minutes! * 60_000;
      transitions.timed.add(alarm);
      // Always recorded, even when already shelved (a new end) or under a stronger mask: the audit trail.
      transitions.announce(alarm, before, now, `shelved for ${command.minutes} min${suffix}`, by, true);
      return true;
    case 'unshelve':
      if (alarm.shelvedUntil === 0) return false;
      transitions.unmask(alarm, () => (alarm.shelvedUntil = 0), now, `unshelved${suffix}`, by);
      return true;
    case 'suppress':
      if (alarm.suppressed) return false;
      alarm.suppressed = true;
      transitions.announce(alarm, before, now, `suppressed${suffix}`, by);
      return true;
    case 'unsuppress':
      if (!alarm.suppressed) return false;
      transitions.unmask(alarm, () => (alarm.suppressed = false), now, `unsuppressed${suffix}`, by);
      return true;
    case 'disable':
      if (alarm.outOfService) return false;
      alarm.outOfService = true;
      transitions.announce(alarm, before, now, `out of service${suffix}`, by);
      return true;
    case 'enable':
      if (!alarm.outOfService) return false;
      transitions.unmask(alarm, () => (alarm.outOfService = false), now, `back in service${suffix}`, by);
      return true;
  }
}
