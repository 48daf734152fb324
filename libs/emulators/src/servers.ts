import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startProcess, type RunningServer } from './process';

// libs/emulators/src (tests) or libs/emulators/dist (built): the repository is three levels up.
const root = join(__dirname, '..', '..', '..');

/**
 * fauxqs (SNS/SQS) from npm, in a child process because it is ESM-only.
 * @param port Where to listen. A stopped instance's port starts a new one where clients still
 * point, to simulate an outage; its state starts empty. @default a free port
 */
export async function startFauxqs(port?: number): Promise<RunningServer> {
  port ??= await freePort();
  const script = `import('fauxqs').then((m) => m.startFauxqs({ port: ${port}, host: '127.0.0.1', logger: false }))`;
  return startProcess('fauxqs', process.execPath, ['-e', script], port, `http://127.0.0.1:${port}`);
}

/** moto in server mode (EventBridge, DynamoDB, SNS, SQS) from the project's virtualenv. */
export async function startMoto(): Promise<RunningServer> {
  const motoServer = join(root, '.venv', 'bin', 'moto_server');
  if (!existsSync(motoServer)) {
    throw new Error(`${motoServer} is missing: run scripts/setup-test-env.sh (npm test does).`);
  }
  const port = await freePort();
  return startProcess(
    'moto',
    motoServer,
    ['-H', '127.0.0.1', '-p', String(port)],
    port,
    `http://127.0.0.1:${port}`,
  );
}

/** Debian's redis-server, without persistence. */
export async function startRedis(): Promise<RunningServer> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  return startProcess('redis', 'redis-server', args, port, `redis://127.0.0.1:${port}`);
}
