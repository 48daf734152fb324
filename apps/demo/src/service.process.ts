import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@sample/emulators';

export type ServiceName = 'orders-service' | 'notifications-service';

/** A sample service running in its own Node.js process. */
export interface ServiceProcess {
  readonly name: ServiceName;
  readonly url: string;
  /** What it printed so far (stdout and stderr), for diagnostics. */
  output(): string;
  /**
   * SIGTERM (the app drains and closes), then waits for the exit. Nest re-raises the signal once
   * it has closed, so a clean stop ends with `{ code: null, signal: 'SIGTERM' }`.
   */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const appsDir = join(__dirname, '..', '..');

/** Starts `apps/<name>/dist/main.js` on a free loopback port; resolves once it answers HTTP. */
export async function startService(
  name: ServiceName,
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(appsDir, name, 'dist', 'main.js')], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    try {
      await fetch(url);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${name} did not answer on ${url} within ${timeoutMs} ms:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    name,
    url,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
