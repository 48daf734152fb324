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

/** Spawns `command` and resolves once it accepts TCP connections on `port`. */
export async function startProcess(
  name: string,
  command: string,
  args: string[],
  port: number,
  endpoint: string,
  timeoutMs = 60_000,
): Promise<RunningServer> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const deadline = Date.now() + timeoutMs;
  let pause = 25;
  for (;;) {
    if (await canConnect(port)) break;
    const early = await Promise.race([
      exited.then((code) => new Error(`${name} exited with code ${code}: ${stderr}`)),
      spawnError,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), pause)),
    ]);
    if (early) throw new Error(`Could not start ${name} (${command}): ${early.message}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `${name} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms: ${stderr}`,
      );
    }
    pause = Math.min(pause * 2, 250);
  }
  return { name, endpoint, stop: () => stopProcess(child, exited) };
}

async function stopProcess(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 5000);
  });
  await Promise.race([exited, forced]);
  clearTimeout(timer);
}
