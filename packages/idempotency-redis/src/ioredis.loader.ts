/* eslint-disable @typescript-eslint/no-require-imports -- optional peers are required lazily, on purpose */
import type * as Ioredis from 'ioredis';
import { loadOptionalDependency } from '@nestjs-events/core/transport';

export type IoredisModule = typeof Ioredis;

/**
 * ioredis, loaded on first use so that importing this package never needs it; a store given a
 * client never loads it.
 */
export function loadIoredis(user: string): IoredisModule {
  return loadOptionalDependency<IoredisModule>('ioredis', user, () => require('ioredis'));
}
