import { startFauxqs, startMoto, startRedis, type RunningServer } from '../libs/emulators/src';

declare global {
  var __emulators: RunningServer[] | undefined;
}

/**
 * Starts the AWS-API emulators and Redis once for the e2e project, on free loopback ports, and
 * hands their endpoints to the test workers through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const [fauxqs, moto, redis] = await Promise.all([startFauxqs(), startMoto(), startRedis()]);
  globalThis.__emulators = [fauxqs, moto, redis];
  process.env.FAUXQS_ENDPOINT = fauxqs.endpoint;
  process.env.MOTO_ENDPOINT = moto.endpoint;
  process.env.REDIS_URL = redis.endpoint;
  // Emulators accept any credentials; the SDK only needs some to sign requests.
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
}
