/** What an outbox process of the reliability scenarios is told, from its environment. */
export interface OutboxWorkerConfig {
  readonly run: string;
  readonly worker: string;
  /** `producer`: commits entities and publishes through the outbox (and relays, unless told not
   * to); `inbox`: consumes the probe queue with an `@Inbox()` handler writing to PostgreSQL. */
  readonly role: 'producer' | 'inbox';
  readonly store: 'postgres' | 'dynamodb';
  readonly databaseUrl?: string;
  readonly dynamoEndpoint?: string;
  /** The outbox table (PostgreSQL: also the prefix of the entity, effect and inbox tables). */
  readonly table: string;
  readonly entityTable: string;
  /** SNS/SQS endpoint: the emulator, or a fault proxy in front of it. */
  readonly endpoint: string;
  readonly topicPrefix: string;
  readonly queue: string;
  readonly redisUrl?: string;
  /** Events this producer commits (0: relay only), from sequence number `from`. */
  readonly produce: number;
  readonly from: number;
  /** Producer transactions run in parallel, one aggregate each (so each aggregate is in order). */
  readonly aggregates: number;
  /** Pause between two transactions of one lane, to spread production over time. */
  readonly produceDelayMs: number;
  /** Fraction of sequence numbers (by hash) whose transaction rolls back after the publish. */
  readonly rollbackFraction: number;
  readonly relay: boolean;
  readonly relayPollMs: number;
  readonly relayRetryBaseMs: number;
  readonly relayRetryMaxMs: number;
  readonly relayMaxAttempts: number;
  readonly relayBatchSize: number;
  readonly concurrency: number;
  readonly visibilityTimeoutSeconds: number;
  /** inbox: work after the handler's writes, before its commit and the broker's delete. */
  readonly handlerDelayMs: number;
  readonly shutdownTimeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`reliability outbox worker: ${name} is required`);
  return value;
}

function number(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`reliability outbox worker: ${name} must be a number >= 0, got "${raw}"`);
  }
  return value;
}

export function readOutboxWorkerConfig(env: Env): OutboxWorkerConfig {
  const role = env.ROLE ?? 'producer';
  if (role !== 'producer' && role !== 'inbox') {
    throw new Error('reliability outbox worker: ROLE must be producer or inbox');
  }
  const store = env.OUTBOX_STORE ?? 'postgres';
  if (store !== 'postgres' && store !== 'dynamodb') {
    throw new Error('reliability outbox worker: OUTBOX_STORE must be postgres or dynamodb');
  }
  const rollbackFraction = number(env, 'ROLLBACK_FRACTION', 0);
  if (rollbackFraction > 1) {
    throw new Error('reliability outbox worker: ROLLBACK_FRACTION must be 0 to 1');
  }
  return {
    run: required(env, 'RUN_ID'),
    worker: required(env, 'WORKER_NAME'),
    role,
    store,
    databaseUrl: store === 'postgres' ? required(env, 'DATABASE_URL') : undefined,
    dynamoEndpoint: store === 'dynamodb' ? required(env, 'DYNAMODB_ENDPOINT') : undefined,
    table: required(env, 'OUTBOX_TABLE'),
    entityTable: required(env, 'ENTITY_TABLE'),
    endpoint: required(env, 'EVENTS_ENDPOINT'),
    topicPrefix: env.EVENTS_TOPIC_PREFIX ?? '',
    queue: env.EVENTS_QUEUE ?? '',
    redisUrl: env.REDIS_URL,
    produce: number(env, 'PRODUCE', 0),
    from: number(env, 'PRODUCE_FROM', 0),
    aggregates: Math.max(1, number(env, 'AGGREGATES', 10)),
    produceDelayMs: number(env, 'PRODUCE_DELAY_MS', 0),
    rollbackFraction,
    relay: env.RELAY !== 'false',
    relayPollMs: number(env, 'RELAY_POLL_MS', 500),
    relayRetryBaseMs: number(env, 'RELAY_RETRY_BASE_MS', 200),
    relayRetryMaxMs: number(env, 'RELAY_RETRY_MAX_MS', 2000),
    relayMaxAttempts: number(env, 'RELAY_MAX_ATTEMPTS', 50),
    relayBatchSize: number(env, 'RELAY_BATCH_SIZE', 100),
    concurrency: number(env, 'CONCURRENCY', 50),
    visibilityTimeoutSeconds: number(env, 'VISIBILITY_TIMEOUT_S', 5),
    handlerDelayMs: number(env, 'HANDLER_DELAY_MS', 0),
    shutdownTimeoutMs: number(env, 'SHUTDOWN_TIMEOUT_MS', 10_000),
  };
}

export const OUTBOX_WORKER_CONFIG = Symbol('OUTBOX_WORKER_CONFIG');
