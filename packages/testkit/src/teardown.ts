import { constants } from 'node:os';
import { sleep, stopRunningProcesses } from './process.js';

/** Something started that has a stop: a QuestDB, a Node-RED, a Kafka cluster, a WAN link, a broker. */
export interface Stoppable {
  stop(): unknown;
}

/**
 * What a script (a benchmark, the chaos run) started and must stop: each part is added as soon as it started, and
 * close(), in the finally around everything after the first start, stops them, last started first. A part that
 * fails to start throws before it is added, and close() still stops the ones before it.
 *
 * SIGINT (Ctrl-C) and SIGTERM skip a script's finally: while a teardown is open (made and not closed), they close
 * every open teardown, newest first, then stop any process startProcess started that still runs (a part caught
 * mid-start), and the script exits 130 or 143. A second signal while that runs is ignored.
 */
export interface Teardown {
  /** Adds `part`, stopped at close; returns it: `const red = parts.add(await startNodeRed())`. */
  add<T extends Stoppable>(part: T): T;
  /** Adds a step to run at close: removing a directory, stopping a part that is replaced while it runs. */
  defer(step: () => unknown): void;
  /**
   * Runs every step not run yet, last added first, each once, all of them even when one fails; then throws the
   * first failure. A close while another runs waits for it, then runs what was added since.
   */
  close(): Promise<void>;
}

/** Teardowns made and not closed; the signal handlers are installed while there is one. */
const open = new Set<Teardown>();
/** The signal being handled, once one came. */
let stoppedBy: NodeJS.Signals | undefined;

const exitCode = (signal: NodeJS.Signals) => 128 + constants.signals[signal];

async function onSignal(signal: NodeJS.Signals): Promise<void> {
  if (stoppedBy) return;
  stoppedBy = signal;
  process.stderr.write(`[teardown] ${signal}: stopping what this script started\n`);
  // The script's work under way fails as its parts stop: that must not end it before they are stopped (an
  // unhandled rejection would exit at once), and however it ends, it exits as signalled.
  process.on('uncaughtException', () => {});
  process.on('unhandledRejection', () => {});
  process.on('exit', () => (process.exitCode = exitCode(signal)));
  for (const parts of [...open].reverse()) {
    await parts.close().catch((error: Error) => process.stderr.write(`[teardown] ${error.message}\n`));
  }
  // A start under way whose process is stopped here removes its own directory when it sees the exit (its next
  // poll, within a few hundred ms): give it that moment.
  if ((await stopRunningProcesses()) > 0) await sleep(1000);
  process.exit(exitCode(signal));
}

function track(parts: Teardown, isOpen: boolean): void {
  const before = open.size;
  if (isOpen) open.add(parts);
  else open.delete(parts);
  if (before === 0 && open.size === 1) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  } else if (before > 0 && open.size === 0 && !stoppedBy) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function teardown(): Teardown {
  const steps: Array<() => unknown> = [];
  let closing: Promise<void> = Promise.resolve();
  const runSteps = async () => {
    let failure: unknown;
    for (let step = steps.pop(); step; step = steps.pop()) {
      try {
        await step();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  };
  const parts: Teardown = {
    add(part) {
      parts.defer(() => part.stop());
      return part;
    },
    defer(step) {
      steps.push(step);
      track(parts, true);
    },
    close() {
      const run = closing
        .catch(() => {})
        .then(runSteps)
        .finally(() => steps.length === 0 && track(parts, false));
      closing = run;
      return run;
    },
  };
  track(parts, true);
  return parts;
}
