import { once } from 'node:events';
import type { ClaimResult, IdempotencyStore } from '@nestjs-events/core';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { loadIoredis } from './ioredis.loader';

interface CommonOptions {
  /**
   * Prepended to every key, so that the store's keys are easy to find and never collide with
   * other data in the same database.
   * @default 'nestjs-events:idem:'
   */
  keyPrefix?: string;
}

export type RedisIdempotencyStoreOptions = CommonOptions &
  (
    | {
        /** A connected ioredis client or cluster. The store never closes a client it was given. */
        client: Redis | Cluster;
        url?: never;
        redisOptions?: never;
      }
    | {
        /** `redis://…` URL of a client the store creates and closes in `close()`. */
        url: string;
        /** Options of that client. */
        redisOptions?: RedisOptions;
        client?: never;
      }
  );

const IN_PROGRESS = 'in-progress';
const COMPLETED = 'completed';

// Lua scripts run atomically on the server. Claiming in one script (SET NX, else GET) means the
// answer always describes the value that made SET fail, even if it expires or is released right
// after; and it is one round trip. Sent with EVAL rather than registered with `defineCommand`, so
// a client we were given is not modified; Redis caches the compiled scripts either way.
const CLAIM_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 'acquired' end
return redis.call('GET', KEYS[1])`;
// Deletes only a lock: a completed key stays completed whatever happens to the claim.
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * An idempotency store in Redis, shared by every instance that uses the same server and prefix.
 * One string per key: `in-progress` with the lock TTL, or `completed` with the record TTL; Redis
 * expires them itself. Works with a single server, Sentinel or Cluster (one key per command).
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly client: Redis | Cluster;
  private readonly ownsClient: boolean;
  private readonly keyPrefix: string;

  constructor(options: RedisIdempotencyStoreOptions) {
    if (!options.client === !options.url) {
      throw new TypeError('RedisIdempotencyStore: pass either `client` or `url`, not both.');
    }
    this.keyPrefix = options.keyPrefix ?? 'nestjs-events:idem:';
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      const { Redis } = loadIoredis(RedisIdempotencyStore.name);
      this.client = new Redis(options.url, options.redisOptions ?? {});
      this.ownsClient = true;
    }
  }

  async claim(key: string, { lockTtlMs }: { lockTtlMs: number }): Promise<ClaimResult> {
    const reply = await this.client.eval(
      CLAIM_SCRIPT,
      1,
      this.keyPrefix + key,
      IN_PROGRESS,
      milliseconds(lockTtlMs),
    );
    if (reply === 'acquired') return 'acquired';
    // Anything but a completed record (including a value this store did not write) holds the key.
    return reply === COMPLETED ? 'completed' : 'in-progress';
  }

  async complete(key: string, { ttlMs }: { ttlMs: number }): Promise<void> {
    await this.client.set(this.keyPrefix + key, COMPLETED, 'PX', milliseconds(ttlMs));
  }

  async release(key: string): Promise<void> {
    await this.client.eval(RELEASE_SCRIPT, 1, this.keyPrefix + key, IN_PROGRESS);
  }

  /**
   * Closes the client if the store created it (from `url`): waits for pending replies, then for
   * the connection to end, so that nothing keeps the process alive afterwards.
   */
  async close(): Promise<void> {
    if (!this.ownsClient || this.client.status === 'end') return;
    const ended = once(this.client, 'end');
    try {
      await this.client.quit();
    } catch {
      // The connection is already broken: nothing to wait for.
      this.client.disconnect();
    }
    await ended;
  }

  /** Nest calls this at shutdown, after transports have drained, when the store is a provider. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}

/** PX takes a positive integer; a zero or fractional TTL would make Redis reject the command. */
function milliseconds(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}
