import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startProcess, type RunningServer } from './process';

const run = promisify(execFile);

/** The folder of Debian's PostgreSQL binaries (the newest major installed), or `PG_BIN`. */
function postgresBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base)
    ? readdirSync(base)
        .filter((name) => existsSync(join(base, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0) {
    throw new Error(
      `No PostgreSQL server binaries under ${base}: run scripts/setup-test-env.sh (npm test does), ` +
        'or set PG_BIN to the folder that holds initdb and postgres.',
    );
  }
  return join(base, majors[0], 'bin');
}

/**
 * initdb and postgres refuse to run as root. As root, they run as the `postgres` account that
 * Debian's package creates (through `setpriv`, which execs: signals reach postgres itself);
 * as anyone else, as that user.
 */
async function runAs(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    run('id', ['-u', 'postgres']),
    run('id', ['-g', 'postgres']),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

function asUser(
  user: { uid: number; gid: number } | undefined,
  command: string,
  args: string[],
): [string, string[]] {
  if (!user) return [command, args];
  return [
    'setpriv',
    [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', command, ...args],
  ];
}

/**
 * A throwaway PostgreSQL cluster: `initdb` into a temporary folder, `postgres` on a free loopback
 * port without durability (fsync off: tests need none), trust authentication for the `postgres`
 * superuser. `endpoint` is its connection URL (database `postgres`). `stop()` shuts it down fast
 * and removes the folder.
 */
export async function startPostgres(): Promise<RunningServer> {
  const bin = postgresBinDir();
  const user = await runAs();
  const dir = await mkdtemp(join(tmpdir(), 'postgres-'));
  const data = join(dir, 'data');
  try {
    if (user) await chown(dir, user.uid, user.gid);
    const [initdb, initArgs] = asUser(user, join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
      '--no-instructions',
    ]);
    await run(initdb, initArgs, { timeout: 60_000 });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`initdb failed in ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const port = await freePort();
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '200',
  };
  const [postgres, args] = asUser(user, join(bin, 'postgres'), [
    '-D',
    data,
    ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ]);
  const endpoint = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const server = await startProcess('postgres', postgres, args, port, endpoint, {
    // Accepting TCP connections comes before accepting queries (startup, recovery).
    ready: async () => {
      await run(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)], {
        timeout: 2000,
      });
      return true;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
  return {
    ...server,
    stop: async () => {
      // SIGTERM is a "smart" shutdown that waits for every session to end; fast mode ends them.
      const [pgCtl, stopArgs] = asUser(user, join(bin, 'pg_ctl'), [
        'stop',
        '-D',
        data,
        '-m',
        'fast',
        '-t',
        '10',
      ]);
      await run(pgCtl, stopArgs, { timeout: 15_000 }).catch(() => undefined);
      await server.stop();
    },
  };
}
