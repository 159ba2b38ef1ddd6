import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';

/** The lowest port freePort hands out: above the common service ports. */
const FIRST_PORT = 10_000;

/** Where the OS's ephemeral range starts: outgoing connections and port-0 listeners get ports from there up. */
export function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 0) return low;
  } catch {
    // Not Linux: the IANA range, which the other systems use.
  }
  return 49_152;
}

/** Binds `port` (0: any) on `host` and closes it again; the port bound, or undefined when it is taken. */
function tryPort(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(undefined) : reject(error),
    );
    server.listen(port, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

/** Whether `port` can be listened on at `host` now (a fixed port a script is about to use). */
export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return (await tryPort(port, host)) !== undefined;
}

/**
 * Every port freePort has handed out in this process. A port is free until its user binds it, so two calls
 * before then could otherwise pick the same one (CI saw a QuestDB get one port for both HTTP and ILP).
 */
const handedOut = new Set<number>();

function handOut(port: number): number {
  handedOut.add(port);
  return port;
}

/**
 * A port free right now on loopback, below the ephemeral range. Tests bind it seconds later (a QuestDB that boots,
 * a demo that builds first); a port from the ephemeral range can meanwhile go to any outgoing connection of the
 * tests running beside them (CI saw the demo's cloud Node-RED fail with EADDRINUSE that way). Never the same port
 * twice in one process.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const span = ephemeralLow() - FIRST_PORT;
  for (let attempt = 0; span > 0 && attempt < 100; attempt++) {
    const pick = FIRST_PORT + Math.floor(Math.random() * span);
    if (handedOut.has(pick)) continue;
    const port = await tryPort(pick, host);
    if (port !== undefined) return handOut(port);
  }
  const port = await tryPort(0, host);
  if (port === undefined) throw new Error(`no free port on ${host}`);
  return handOut(port);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Thrown from a waitFor check when waiting longer cannot help (the process died, say). */
export class GiveUp extends Error {}

/**
 * Polls `check` until it returns a value other than undefined, or throws after `timeoutMs` saying what it
 * waited for. Errors from `check` count as "not yet", except GiveUp, which ends the wait at once.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(everyMs);
  }
}

/** Resolves once something accepts TCP connections on host:port. */
export function waitForPort(port: number, host: string, timeoutMs: number): Promise<true> {
  return waitFor(
    `${host}:${port} to accept connections`,
    () =>
      new Promise<true | undefined>((resolve) => {
        const socket = connect(port, host);
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => (socket.destroy(), resolve(undefined)));
      }),
    timeoutMs,
    50,
  );
}

/** A child process whose output is kept (the last 1 MB) for error messages and log assertions. */
export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it printed so far (stdout and stderr, interleaved). */
  output(): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** The exit code (or signal) once the process is gone; undefined while it runs. */
  exitStatus(): number | string | undefined;
  /** Sends `signal`, waits up to `graceMs` for the exit, then SIGKILL and waits again. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

/** Every process startProcess started that has not exited yet. */
const running = new Set<ManagedProcess>();

/**
 * Stops every process startProcess started that still runs (SIGTERM, then SIGKILL after `graceMs`): what a script
 * stopped by a signal could not stop through its own parts, such as a part caught in the middle of its start.
 * Resolves with how many there were.
 */
export async function stopRunningProcesses(graceMs = 10_000): Promise<number> {
  const left = [...running];
  await Promise.all(left.map((managed) => managed.stop('SIGTERM', graceMs)));
  return left.length;
}

export function startProcess(command: string, args: string[], options: SpawnOptions = {}): ManagedProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer) => {
    log += chunk.toString();
    if (log.length > 1_000_000) log = log.slice(-1_000_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (error) => {
      log += `\n${error.message}`;
      resolve('spawn-error');
    });
  });
  let status: number | string | undefined;
  const managed: ManagedProcess = {
    child,
    pid: child.pid ?? -1,
    output: () => log,
    exited,
    exitStatus: () => status,
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      if (status !== undefined) return status;
      child.kill(signal);
      const result = await Promise.race([exited, sleep(graceMs).then(() => undefined)]);
      if (result !== undefined) return result;
      child.kill('SIGKILL');
      return exited;
    },
  };
  running.add(managed);
  void exited.then((result) => {
    status = result;
    running.delete(managed);
  });
  return managed;
}
