/** Something started that has a stop: a QuestDB, a Node-RED, a Kafka cluster, a WAN link, a broker. */
export interface Stoppable {
  stop(): unknown;
}

/**
 * What a script (a benchmark, the chaos run) started and must stop: each part is added as soon as it started, and
 * close(), in the finally around everything after the first start, stops them, last started first. A part that
 * fails to start throws before it is added, and close() still stops the ones before it.
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
  return {
    add(part) {
      steps.push(() => part.stop());
      return part;
    },
    defer(step) {
      steps.push(step);
    },
    close() {
      const run = closing.catch(() => {}).then(runSteps);
      closing = run;
      return run;
    },
  };
}
