import {
  startFauxqs,
  startLocalStack,
  startMoto,
  startPostgres,
  startRedis,
  type RunningServer,
} from '../libs/emulators/src';

declare global {
  var __emulators: RunningServer[] | undefined;
}

/**
 * Starts the AWS-API emulators (fauxqs, moto, LocalStack), Redis and PostgreSQL once for the e2e project, in
 * parallel on free loopback ports, and hands their endpoints to the test workers through the
 * environment.
 */
export default async function globalSetup(): Promise<void> {
  const starting = [startFauxqs(), startMoto(), startLocalStack(), startRedis(), startPostgres()];
  const results = await Promise.allSettled(starting);
  const started = results.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const failed = results.flatMap((result): unknown[] =>
    result.status === 'rejected' ? [result.reason] : [],
  );
  if (failed.length > 0) {
    // Stop the ones that did start: no server outlives a failed setup.
    await Promise.all(started.map((server) => server.stop()));
    throw failed[0];
  }
  const [fauxqs, moto, localstack, redis, postgres] = started;
  globalThis.__emulators = started;
  process.env.FAUXQS_ENDPOINT = fauxqs.endpoint;
  process.env.MOTO_ENDPOINT = moto.endpoint;
  process.env.LOCALSTACK_ENDPOINT = localstack.endpoint;
  process.env.REDIS_URL = redis.endpoint;
  process.env.POSTGRES_URL = postgres.endpoint;
  // Emulators accept any credentials; the SDK only needs some to sign requests.
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
}
