import { randomBytes } from 'node:crypto';
import type { ClaimOptions, ClaimResult, IdempotencyStore } from '@nestjs-events/core';
import { settlesWithin } from '@nestjs-events/core/transport';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { loadIoredis } from './ioredis.loader';

interface CommonOptions {
  /**
   * Prepended to every key, so that the store's keys are easy to find and never collide with
   * other data in the same database.
   * @default 'nestjs-events:idem:'
   */
  keyPrefix?: string;
  /**
   * How long `close()` lets a client it created send its pending replies (QUIT) before it drops
   * the connection.
   * @default 2000
   */
  closeTimeoutMs?: number;
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

// Values: `in-progress:<token>:<fingerprint>` while locked, `completed:<token>:<fingerprint>` once
// done (the token of the holder that completed it, so that completing again is recognised). The
// fingerprint may be empty. Values of older versions (`in-progress`, `completed`) still read right.
const LOCK_PREFIX = 'in-progress:';
const COMPLETED = 'completed';
const COMPLETED_PREFIX = 'completed:';

// Lua scripts run atomically on the server. Claiming in one script (SET NX, else GET) means the
// answer always describes the value that made SET fail, even if it expires or is released right
// after; and it is one round trip. Complete, release and extend compare the token and act in the
// same script, so a holder whose lock expired can never touch the lock of the one that took over.
// Sent with EVAL rather than registered with `defineCommand`, so a client we were given is not
// modified; Redis caches the compiled scripts either way.
const CLAIM_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return redis.call('GET', KEYS[1])`;
// ARGV[1] is the lock prefix with the token: `in-progress:<token>:`.
const COMPLETE_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local lock = ARGV[1]
if string.sub(value, 1, #lock) == lock then
  redis.call('SET', KEYS[1], ARGV[3] .. string.sub(value, #lock + 1), 'PX', ARGV[2])
  return 1
end
if string.sub(value, 1, #ARGV[3]) == ARGV[3] then return 1 end
return 0`;
const RELEASE_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, #ARGV[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const EXTEND_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, #ARGV[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

/** `code` of the process warning for a client that queues commands while Redis is unreachable. */
const OFFLINE_QUEUE_WARNING = 'NESTJS_EVENTS_REDIS_OFFLINE_QUEUE';

/**
 * An idempotency store in Redis, shared by every instance that uses the same server and prefix.
 * One string per key, holding its state, the token of its holder and the payload's fingerprint,
 * with the lock TTL or the record TTL; Redis expires them itself. Works with a single server,
 * Sentinel or Cluster (one key per command).
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly client: Redis | Cluster;
  private readonly ownsClient: boolean;
  private readonly keyPrefix: string;
  private readonly closeTimeoutMs: number;

  constructor(options: RedisIdempotencyStoreOptions) {
    if (!options.client === !options.url) {
      throw new TypeError('RedisIdempotencyStore: pass either `client` or `url`, not both.');
    }
    this.keyPrefix = options.keyPrefix ?? 'nestjs-events:idem:';
    this.closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      const { Redis } = loadIoredis(RedisIdempotencyStore.name);
      this.client = new Redis(options.url, options.redisOptions ?? {});
      this.ownsClient = true;
    }
    const clientOptions = (this.client as { options?: Partial<RedisOptions> }).options;
    if (
      clientOptions?.maxRetriesPerRequest === null &&
      clientOptions.enableOfflineQueue !== false
    ) {
      process.emitWarning(
        'RedisIdempotencyStore: its ioredis client has maxRetriesPerRequest: null, so while Redis ' +
          'is unreachable it keeps every store call, those given up at operationTimeoutMs too, ' +
          'and sends them once Redis is back. Give the store a client of its own, with the ' +
          'default maxRetriesPerRequest or with enableOfflineQueue: false.',
        { code: OFFLINE_QUEUE_WARNING },
      );
    }
  }

  async claim(key: string, { lockTtlMs, fingerprint }: ClaimOptions): Promise<ClaimResult> {
    const token = randomBytes(16).toString('base64url');
    const reply = (await this.client.eval(
      CLAIM_SCRIPT,
      1,
      this.keyPrefix + key,
      `${LOCK_PREFIX}${token}:${fingerprint ?? ''}`,
      milliseconds(lockTtlMs),
    )) as string | null;
    if (reply === null) return { status: 'acquired', token };
    // Anything but a completed record (including a value this store did not write) holds the key.
    const status =
      reply === COMPLETED || reply.startsWith(COMPLETED_PREFIX) ? 'completed' : 'in-progress';
    const held = fingerprintOf(reply);
    return held === undefined ? { status } : { status, fingerprint: held };
  }

  async complete(key: string, token: string, { ttlMs }: { ttlMs: number }): Promise<boolean> {
    const reply = await this.client.eval(
      COMPLETE_SCRIPT,
      1,
      this.keyPrefix + key,
      `${LOCK_PREFIX}${token}:`,
      milliseconds(ttlMs),
      `${COMPLETED_PREFIX}${token}:`,
    );
    return reply === 1;
  }

  async release(key: string, token: string): Promise<boolean> {
    const reply = await this.client.eval(
      RELEASE_SCRIPT,
      1,
      this.keyPrefix + key,
      `${LOCK_PREFIX}${token}:`,
    );
    return reply === 1;
  }

  async extend(key: string, token: string, { lockTtlMs }: { lockTtlMs: number }): Promise<boolean> {
    const reply = await this.client.eval(
      EXTEND_SCRIPT,
      1,
      this.keyPrefix + key,
      `${LOCK_PREFIX}${token}:`,
      milliseconds(lockTtlMs),
    );
    return reply === 1;
  }

  /**
   * Closes the client if the store created it (from `url`): lets pending replies arrive (QUIT,
   * for at most `closeTimeoutMs`), then drops the connection and any reconnection in wait, so
   * that nothing keeps the process alive afterwards. Bounded and quiet while Redis is down.
   */
  async close(): Promise<void> {
    if (!this.ownsClient || this.client.status === 'end') return;
    const client = this.client;
    // Connection errors are expected while closing against a Redis that is away; without a
    // listener ioredis prints each. (`events.once(client, 'end')` would reject on them too: a
    // rejection nobody awaits yet, which ends the process.)
    const ignore = () => undefined;
    client.on('error', ignore);
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    if (client.status === 'ready') {
      // Without a connection QUIT would wait in the offline queue for one, for ever.
      await settlesWithin(client.quit(), this.closeTimeoutMs);
    }
    // While reconnecting there is no socket: disconnect only cancels the next attempt, and ioredis
    // never emits `end`; waiting for it there is what hung. Wait only when a socket is open.
    const hasSocket = client.status !== 'end' && client.status !== 'reconnecting';
    client.disconnect();
    if (hasSocket) await settlesWithin(ended, this.closeTimeoutMs);
  }

  /** Nest calls this at shutdown, after transports have drained, when the store is a provider. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}

/** PX takes a positive integer; a zero or fractional TTL would make Redis reject the command. */
/** The fingerprint part of a value this store wrote (after the second colon), if not empty. */
function fingerprintOf(value: string): string | undefined {
  const first = value.indexOf(':');
  const second = first < 0 ? -1 : value.indexOf(':', first + 1);
  const fingerprint = second < 0 ? '' : value.slice(second + 1);
  return fingerprint === '' ? undefined : fingerprint;
}

function milliseconds(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}
