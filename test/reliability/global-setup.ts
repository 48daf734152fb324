import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startFauxqs,
  startMoto,
  startPostgres,
  startRedis,
  type RunningServer,
} from '../../libs/emulators/src';
import { buildWorkspace } from '../fixtures/build';

declare global {
  var __reliability: { servers: RunningServer[]; startedAt: number; dir: string } | undefined;
}

/**
 * Builds the workspace once (the scenarios run apps/reliability-worker/dist in child processes),
 * starts fauxqs, moto, Redis and PostgreSQL on loopback, and names the file the scenarios append their rows
 * to; the teardown prints them as one table.
 */
export default async function globalSetup(): Promise<void> {
  const startedAt = Date.now();
  buildWorkspace();
  const [fauxqs, moto, redis, postgres] = await Promise.all([
    startFauxqs(),
    startMoto(),
    startRedis(),
    startPostgres(),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'reliability-'));
  globalThis.__reliability = { servers: [fauxqs, moto, redis, postgres], startedAt, dir };
  process.env.FAUXQS_ENDPOINT = fauxqs.endpoint;
  process.env.MOTO_ENDPOINT = moto.endpoint;
  process.env.REDIS_URL = redis.endpoint;
  process.env.POSTGRES_URL = postgres.endpoint;
  process.env.RELIABILITY_RESULTS = join(dir, 'results.jsonl');
  process.env.RELIABILITY_LOGS = dir;
  // Emulators accept any credentials; the SDK only needs some to sign requests.
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  // The workers are real processes on Node 20: the SDK's notice about Node 22 is noise there.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
