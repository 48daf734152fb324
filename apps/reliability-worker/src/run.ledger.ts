import { Redis } from 'ioredis';

/** Where a run keeps its counts in Redis; the orchestrator reads the same keys. */
export function ledgerKeys(run: string) {
  const base = `reliability:${run}:`;
  return {
    /** Hash: event id → times its side effect ran. */
    applied: `${base}applied`,
    /** Hash: event id → the worker that applied it first. */
    firstApplier: `${base}first-applier`,
    /** Hash: event id → first-attempt failures injected into it. */
    injected: `${base}injected`,
    /** Hash: event id → runs of the second handler (SECOND_HANDLER), whatever their outcome. */
    secondRuns: `${base}second-runs`,
    /** Hash: event id → attempts made never to settle (HANG_FRACTION). */
    hung: `${base}hung`,
    /** Hash: event id → times a consumer received a message carrying it. */
    received: `${base}received`,
    /** Hash: worker → ReceiveMessage calls it made (each may be several HTTP attempts). */
    receiveCalls: `${base}receive-calls`,
    /** Hash: claim outcome (acquired, completed, in-progress), and renewals (extended, extend-refused) → count. */
    claims: `${base}claims`,
    /** Key prefix of the run's RedisIdempotencyStore. */
    idempotencyPrefix: `${base}idem:`,
  };
}

export type LedgerKeys = ReturnType<typeof ledgerKeys>;

// One script, so that the count, the first applier and (atomic mode) the idempotency record are
// written together: no crash can leave one without the others. In atomic mode it applies only
// while the key still holds this delivery's lock (RedisIdempotencyStore's documented value,
// `in-progress:<token>:<fingerprint>`), and completes it as the store does: a holder that lost
// its lock writes nothing (-1).
const APPLY_SCRIPT = `
local completed
if KEYS[3] then
  local value = redis.call('GET', KEYS[3])
  local lock = 'in-progress:' .. ARGV[4] .. ':'
  if not value or string.sub(value, 1, #lock) ~= lock then return -1 end
  completed = 'completed:' .. ARGV[4] .. ':' .. string.sub(value, #lock + 1)
end
local times = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
if KEYS[3] then redis.call('SET', KEYS[3], completed, 'PX', ARGV[3]) end
return times`;

/** The worker's writes to the run's counts. */
export class RunLedger {
  readonly keys: LedgerKeys;
  private readonly redis: Redis;

  constructor(
    run: string,
    private readonly worker: string,
    redisUrl: string,
  ) {
    this.keys = ledgerKeys(run);
    this.redis = new Redis(redisUrl);
  }

  /**
   * Records the side effect of handling `eventId`. With `idempotencyKey`, the store's record of
   * that key is marked completed in the same script: the effect and its completion commit as one,
   * and only while `token` holds the key; -1 when it does not (nothing was written).
   */
  async apply(
    eventId: string,
    idempotencyKey?: { key: string; token: string; ttlMs: number },
  ): Promise<number> {
    const keys = [this.keys.applied, this.keys.firstApplier];
    if (idempotencyKey) keys.push(idempotencyKey.key);
    const times = await this.redis.eval(
      APPLY_SCRIPT,
      keys.length,
      ...keys,
      eventId,
      this.worker,
      String(Math.ceil(idempotencyKey?.ttlMs ?? 1)),
      idempotencyKey?.token ?? '',
    );
    return Number(times);
  }

  async recordInjectedFailure(eventId: string): Promise<void> {
    await this.redis.hincrby(this.keys.injected, eventId, 1);
  }

  async recordSecondRun(eventId: string): Promise<void> {
    await this.redis.hincrby(this.keys.secondRuns, eventId, 1);
  }

  async recordHang(eventId: string): Promise<void> {
    await this.redis.hincrby(this.keys.hung, eventId, 1);
  }

  async recordReceived(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const id of eventIds) pipeline.hincrby(this.keys.received, id, 1);
    await pipeline.exec();
  }

  async recordReceiveCall(): Promise<void> {
    await this.redis.hincrby(this.keys.receiveCalls, this.worker, 1);
  }

  async recordClaim(outcome: string): Promise<void> {
    await this.redis.hincrby(this.keys.claims, outcome, 1);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
