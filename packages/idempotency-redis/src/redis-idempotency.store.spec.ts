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
