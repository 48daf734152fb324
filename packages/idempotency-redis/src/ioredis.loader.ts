import type * as Ioredis from 'ioredis';

export type IoredisModule = typeof Ioredis;

const IOREDIS = 'ioredis';
let loaded: IoredisModule | undefined;

/**
 * ioredis, required on first use rather than imported, so that importing this package never
 * fails where ioredis is missing; only creating a client from a URL does, with an error that says
 * what to do. A store given a client never loads it.
 */
export function loadIoredis(user: string): IoredisModule {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
    loaded = require(IOREDIS) as IoredisModule;
  } catch (error) {
    // Only a missing ioredis means "install it"; one that fails to load must show its own error.
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === 'MODULE_NOT_FOUND' && String(message).includes(`'${IOREDIS}'`)) {
      throw new Error(`Install ${IOREDIS} to use ${user}: npm install ${IOREDIS}`, {
        cause: error,
      });
    }
    throw error;
  }
  return loaded;
}
