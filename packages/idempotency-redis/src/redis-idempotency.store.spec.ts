import type * as Package from './index';

/** Loads the package as if ioredis were not installed. */
function loadWithoutIoredis(): typeof Package {
  let loaded: typeof Package | undefined;
  jest.isolateModules(() => {
    jest.doMock(
      'ioredis',
      () => {
        throw Object.assign(new Error("Cannot find module 'ioredis' from 'ioredis.loader.ts'"), {
          code: 'MODULE_NOT_FOUND',
        });
      },
      { virtual: true },
    );
    loaded = jest.requireActual<typeof Package>('./index');
  });
  return loaded!;
}

describe('RedisIdempotencyStore without ioredis', () => {
  afterEach(() => jest.dontMock('ioredis'));

  it('can be imported, and says what to install when it has to create a client', () => {
    const { RedisIdempotencyStore } = loadWithoutIoredis();
    expect(() => new RedisIdempotencyStore({ url: 'redis://127.0.0.1:1' })).toThrow(
      'Install ioredis to use RedisIdempotencyStore',
    );
  });

  it('does not need ioredis when given a client', () => {
    const { RedisIdempotencyStore } = loadWithoutIoredis();
    expect(() => new RedisIdempotencyStore({ client: {} as never })).not.toThrow();
  });
});

describe('RedisIdempotencyStore options', () => {
  const { RedisIdempotencyStore } = jest.requireActual<typeof Package>('./index');

  it.each([[{}], [{ client: {}, url: 'redis://127.0.0.1:1' }]])(
    'takes exactly one of client and url: %p',
    (options) => {
      expect(() => new RedisIdempotencyStore(options as never)).toThrow(
        'pass either `client` or `url`, not both',
      );
    },
  );
});

describe('RedisIdempotencyStore client settings', () => {
  const { RedisIdempotencyStore } = jest.requireActual<typeof Package>('./index');
  const warnings: Array<{ message: string; code?: string }> = [];
  beforeEach(() => {
    warnings.length = 0;
    jest.spyOn(process, 'emitWarning').mockImplementation(((
      message: string,
      options?: { code?: string },
    ) => {
      warnings.push({ message, code: options?.code });
    }) as typeof process.emitWarning);
  });
  afterEach(() => jest.restoreAllMocks());

  it('warns once about a client that queues commands for as long as Redis is down', () => {
    // lazyConnect: nothing is sent; only the options are read.
    new RedisIdempotencyStore({
      url: 'redis://127.0.0.1:1',
      redisOptions: { lazyConnect: true, maxRetriesPerRequest: null },
    });

    expect(warnings).toEqual([
      {
        message: expect.stringContaining('maxRetriesPerRequest: null') as string,
        code: 'NESTJS_EVENTS_REDIS_OFFLINE_QUEUE',
      },
    ]);
  });

  it.each([
    [{ lazyConnect: true }],
    [{ lazyConnect: true, maxRetriesPerRequest: 3 }],
    [{ lazyConnect: true, maxRetriesPerRequest: null, enableOfflineQueue: false }],
  ])('says nothing of a client with %p', (redisOptions) => {
    new RedisIdempotencyStore({ url: 'redis://127.0.0.1:1', redisOptions });
    expect(warnings).toEqual([]);
  });
});
