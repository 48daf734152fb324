import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

/** A server started for the tests, on loopback. */
export interface RunningServer {
  readonly name: string;
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; we release it for the child to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface StartOptions {
  /** How long it may take to listen and be ready. @default 60000 */
  timeoutMs?: number;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Polled (at most every 250 ms) once the port accepts connections, until it resolves true. */
  ready?: () => Promise<boolean>;
  /** How long `stop()` waits after SIGTERM before SIGKILL. @default 5000 */
  stopGraceMs?: number;
  /** Keep the tail of stdout too, for the error messages (stderr always is). */
  captureStdout?: boolean;
  /** Run after the process has exited, when stopped or when it failed to start. */
  cleanup?: () => Promise<void> | void;
}

/**
 * Spawns `command` and resolves once it accepts TCP connections on `port` (and `ready` says so).
 * On failure the process is killed and waited for: nothing is left running.
 */
export async function startProcess(
  name: string,
  command: string,
  args: string[],
  port: number,
  endpoint: string,
  options: StartOptions = {},
): Promise<RunningServer> {
  const { timeoutMs = 60_000, stopGraceMs = 5000 } = options;
  const child = spawn(command, args, {
    stdio: ['ignore', options.captureStdout ? 'pipe' : 'ignore', 'pipe'],
    env: options.env ? { ...process.env, ...options.env } : process.env,
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stderr?.on('data', keep);
  child.stdout?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const stop = async () => {
    await stopProcess(child, exited, stopGraceMs);
    await options.cleanup?.();
  };
  const deadline = Date.now() + timeoutMs;
  let pause = 25;
  let listening = false;
  for (;;) {
    listening ||= await canConnect(port);
    if (listening && (!options.ready || (await options.ready().catch(() => false)))) break;
    const early = await Promise.race([
      exited.then((code) => new Error(`${name} exited with code ${code}: ${output}`)),
      spawnError,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), pause)),
    ]);
    if (early) {
      await stop();
      throw new Error(`Could not start ${name} (${command}): ${early.message}`);
    }
    if (Date.now() > deadline) {
      await stop();
      const what = listening ? 'was not ready' : `did not listen on 127.0.0.1:${port}`;
      throw new Error(`${name} ${what} within ${timeoutMs} ms: ${output}`);
    }
    pause = Math.min(pause * 2, 250);
  }
  return { name, endpoint, stop };
}

async function stopProcess(
  child: ChildProcess,
  exited: Promise<unknown>,
  graceMs: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([exited, forced]);
  clearTimeout(timer);
  // After SIGKILL, wait for the exit itself (bounded: a killed process exits at once).
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
}
