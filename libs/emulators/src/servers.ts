import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
    // libs/emulators/moto/sitecustomize.py keeps its SQS linear in the size of a queue.
    { env: { PYTHONPATH: join(root, 'libs', 'emulators', 'moto') } },
  );
}

/** Debian's redis-server, without persistence. */
export async function startRedis(): Promise<RunningServer> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  return startProcess('redis', 'redis-server', args, port, `redis://127.0.0.1:${port}`);
}

/** The services `startLocalStack` enables by default: what the transports use. */
export const LOCALSTACK_SERVICES = ['sns', 'sqs', 'events'] as const;

/**
 * LocalStack 4.14.0 run natively (no Docker) from `.venv-localstack` (Python 3.13), on a free
 * loopback port with its state in a temporary folder that `stop()` removes. Resolves once
 * `/_localstack/health` reports every one of `services` available.
 */
export async function startLocalStack(
  services: readonly string[] = LOCALSTACK_SERVICES,
): Promise<RunningServer> {
  const venv = join(root, '.venv-localstack');
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(`${python} is missing: run scripts/setup-test-env.sh (npm test does).`);
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const filesystem = await mkdtemp(join(tmpdir(), 'localstack-'));
  // The service catalog index that scripts/setup-test-env.sh built, as the Docker image has it
  // in /usr/lib/localstack: without it, the first request spends seconds building one.
  const staticLibs = join(venv, 'filesystem', 'usr', 'lib', 'localstack');
  if (existsSync(staticLibs)) {
    await mkdir(join(filesystem, 'usr', 'lib'), { recursive: true });
    await symlink(staticLibs, join(filesystem, 'usr', 'lib', 'localstack'));
  }
  const env: NodeJS.ProcessEnv = {
    // libs/emulators/localstack/sitecustomize.py binds the gateway to GATEWAY_LISTEN's host.
    PYTHONPATH: join(root, 'libs', 'emulators', 'localstack'),
    GATEWAY_LISTEN: `127.0.0.1:${port}`,
    // Host and port in the URLs it hands out (queue URLs, subscription ARNs' endpoints), and
    // queue URLs as http://127.0.0.1:<port>/queue/<region>/<account>/<name>: no DNS names.
    LOCALSTACK_HOST: `127.0.0.1:${port}`,
    SQS_ENDPOINT_STRATEGY: 'path',
    SERVICES: services.join(','),
    EAGER_SERVICE_LOADING: '1',
    // This machine may be a container: run as on a host, with every folder under `filesystem`
    // (see config.py's Directories.for_host).
    OVERRIDE_IN_DOCKER: '0',
    FILESYSTEM_ROOT: filesystem,
    PERSISTENCE: '0',
    // Nothing leaves the machine: no analytics events, no certificate download, no DNS server
    // (it would bind port 53 and forward upstream).
    DISABLE_EVENTS: '1',
    SKIP_SSL_CERT_DOWNLOAD: '1',
    DNS_ADDRESS: '0',
    LOCALSTACK_AUTH_TOKEN: '',
    LOCALSTACK_API_KEY: '',
  };
  const ready = async () => {
    const response = await fetch(`${endpoint}/_localstack/health`, {
      signal: AbortSignal.timeout(2000),
    });
    if (!response.ok) return false;
    const health = (await response.json()) as { services?: Record<string, string> };
    return services.every((service) =>
      ['available', 'running'].includes(health.services?.[service] ?? ''),
    );
  };
  return startProcess('localstack', python, ['-m', 'localstack.runtime.main'], port, endpoint, {
    env,
    ready,
    timeoutMs: 120_000,
    // It stops its services on SIGTERM, which takes a few seconds.
    stopGraceMs: 20_000,
    captureStdout: true,
    cleanup: () => rm(filesystem, { recursive: true, force: true }),
  });
}
