import { readWorkerConfig } from './worker.config';

const env = {
  RUN_ID: 'run-1',
  WORKER_NAME: 'w1',
  REDIS_URL: 'redis://127.0.0.1:6379',
  EVENTS_ENDPOINT: 'http://127.0.0.1:4566',
  EVENTS_QUEUE: 'q',
};

describe('readWorkerConfig', () => {
  it('fills the scenario defaults', () => {
    expect(readWorkerConfig(env)).toMatchObject({
      run: 'run-1',
      worker: 'w1',
      transport: 'sns-sqs',
      provision: false,
      concurrency: 50,
      visibilityTimeoutSeconds: 5,
      lockTtlMs: 3000,
      failFraction: 0,
      effect: 'atomic',
      secondHandler: false,
      giveUpFraction: 0,
      hangFraction: 0,
      handlerTimeoutMs: undefined,
    });
  });

  it('reads numbers and switches', () => {
    expect(
      readWorkerConfig({
        ...env,
        EVENTS_TRANSPORT: 'eventbridge',
        EVENTS_PROVISION: 'true',
        CONCURRENCY: '8',
        FAIL_FRACTION: '0.05',
        EFFECT: 'separate',
        SECOND_HANDLER: 'true',
        GIVE_UP_FRACTION: '0.1',
        HANG_FRACTION: '0.01',
        HANDLER_TIMEOUT_MS: '1000',
      }),
    ).toMatchObject({
      transport: 'eventbridge',
      provision: true,
      concurrency: 8,
      failFraction: 0.05,
      effect: 'separate',
      secondHandler: true,
      giveUpFraction: 0.1,
      hangFraction: 0.01,
      handlerTimeoutMs: 1000,
    });
  });

  it.each([
    [{ RUN_ID: '' }, 'RUN_ID is required'],
    [{ EVENTS_TRANSPORT: 'kafka' }, 'EVENTS_TRANSPORT must be sns-sqs or eventbridge'],
    [{ EFFECT: 'later' }, 'EFFECT must be atomic or separate'],
    [{ CONCURRENCY: 'many' }, 'CONCURRENCY must be a number >= 0'],
    [{ FAIL_FRACTION: '2' }, 'FAIL_FRACTION must be 0 to 1'],
    [{ GIVE_UP_FRACTION: '1.5' }, 'GIVE_UP_FRACTION must be 0 to 1'],
    [{ HANDLER_TIMEOUT_MS: 'soon' }, 'HANDLER_TIMEOUT_MS must be a number >= 0'],
  ])('refuses %p', (change, message) => {
    expect(() => readWorkerConfig({ ...env, ...change })).toThrow(message);
  });
});
