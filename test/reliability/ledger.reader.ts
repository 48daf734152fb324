import { Redis } from 'ioredis';
import { ledgerKeys, type LedgerKeys } from '../../apps/reliability-worker/src/run.ledger';

async function counts(redis: Redis, key: string): Promise<Map<string, number>> {
  const hash = await redis.hgetall(key);
  return new Map(Object.entries(hash).map(([field, value]) => [field, Number(value)]));
}

/** Reads what the workers of one run recorded in Redis (see RunLedger). */
export class LedgerReader {
  readonly keys: LedgerKeys;
  private readonly redis: Redis;

  constructor(redisUrl: string, run: string) {
    this.keys = ledgerKeys(run);
    this.redis = new Redis(redisUrl);
  }

  /** Events applied at least once. */
  appliedCount(): Promise<number> {
    return this.redis.hlen(this.keys.applied);
  }

  /** Event id → times its side effect ran. */
  applied(): Promise<Map<string, number>> {
    return counts(this.redis, this.keys.applied);
  }

  /** Event id → worker that applied it first. */
  async firstAppliers(): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(this.keys.firstApplier)));
  }

  /** Event id → injected first-attempt failures. */
  injected(): Promise<Map<string, number>> {
    return counts(this.redis, this.keys.injected);
  }

  /** Event id → runs of the second handler (SECOND_HANDLER). */
  secondRuns(): Promise<Map<string, number>> {
    return counts(this.redis, this.keys.secondRuns);
  }

  /** Event id → attempts made never to settle (HANG_FRACTION). */
  hung(): Promise<Map<string, number>> {
    return counts(this.redis, this.keys.hung);
  }

  /** Event id → messages carrying it that consumers received. */
  received(): Promise<Map<string, number>> {
    return counts(this.redis, this.keys.received);
  }

  /** Worker → ReceiveMessage calls so far. */
  receiveCalls(): Promise<Map<string, number>> {
    return counts(this.redis, this.keys.receiveCalls);
  }

  /** Claim outcome → count. */
  async claims(): Promise<Record<string, number>> {
    return Object.fromEntries(await counts(this.redis, this.keys.claims));
  }

  /** Idempotency keys still locked (`in-progress:…`): claims whose holder never completed nor released. */
  async heldLocks(): Promise<number> {
    let held = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(
        cursor,
        'MATCH',
        `${this.keys.idempotencyPrefix}*`,
        'COUNT',
        1000,
      );
      cursor = next;
      if (keys.length) {
        const values = await this.redis.mget(...keys);
        held += values.filter((value) => value?.startsWith('in-progress')).length;
      }
    } while (cursor !== '0');
    return held;
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}
