import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { READY_LINE } from '../../apps/reliability-worker/src/worker.constants';

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Date.now() when the process had exited. */
  readonly at: number;
}

/** A reliability worker in its own Node.js process, from the build output. */
export interface WorkerProcess {
  readonly name: string;
  readonly pid: number;
  /** What it printed (the last 256 KiB of stdout and stderr), for diagnostics. */
  output(): string;
  readonly exited: Promise<WorkerExit>;
  readonly running: boolean;
  /** Sends `signal` (SIGKILL: crash, SIGTERM: graceful stop) and resolves with the exit. */
  kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<WorkerExit>;
}

const MAIN = join(__dirname, '..', '..', 'apps', 'reliability-worker', 'dist', 'main.js');
const KEEP_OUTPUT = 256 * 1024;

/**
 * Starts a worker and resolves once it consumes (it prints READY_LINE after bootstrap). `main` is
 * the worker's entry point: the consumer, or the outbox producer (outbox/outbox.main.js).
 */
export async function startWorker(
  name: string,
  env: Record<string, string>,
  timeoutMs = 30_000,
  main = MAIN,
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, ...env, WORKER_NAME: name, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-KEEP_OUTPUT);
    if (output.includes(READY_LINE)) ready();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let running = true;
  // Resolved on 'close', once stdout and stderr are read to their end: at 'exit' the last lines
  // the worker printed (its metrics at shutdown) may not have been read yet.
  const exited = new Promise<WorkerExit>((resolve) => {
    let exit: WorkerExit | undefined;
    child.once('exit', (code, signal) => {
      running = false;
      exit = { code, signal, at: Date.now() };
    });
    child.once('close', (code, signal) => resolve(exit ?? { code, signal, at: Date.now() }));
  });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    isReady.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (outcome !== 'ready') {
    child.kill('SIGKILL');
    throw new Error(
      `Worker ${name} ${outcome === 'exited' ? 'exited' : 'did not start'}:\n${output}`,
    );
  }
  return {
    name,
    pid: child.pid!,
    output: () => output,
    exited,
    get running() {
      return running;
    },
    kill(signal) {
      if (running) child.kill(signal);
      return exited;
    },
  };
}
