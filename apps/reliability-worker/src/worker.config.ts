/** How the side effect is recorded relative to the idempotency record; see ProbeHandler. */
export type EffectMode = 'atomic' | 'separate';

/** Everything a reliability worker process is told, read from its environment. */
export interface WorkerConfig {
  /** Names this run's keys in Redis, so runs never see each other's counts. */
  readonly run: string;
  /** Names this process in the ledger (who applied an event first). */
  readonly worker: string;
  readonly redisUrl: string;
  readonly transport: 'sns-sqs' | 'eventbridge';
  /** SNS/SQS or EventBridge/SQS endpoint: the emulator, or a fault proxy in front of it. */
  readonly endpoint: string;
  readonly queue: string;
  /** sns-sqs: prefix of the per-type topic names. */
  readonly topicPrefix: string;
  /** eventbridge: the bus the queue's rule listens on. */
  readonly eventBus: string;
  readonly provision: boolean;
  readonly concurrency: number;
  readonly visibilityTimeoutSeconds: number;
  readonly maxPollBackoffMs: number;
  readonly lockTtlMs: number;
  readonly idempotencyTtlMs: number;
  readonly shutdownTimeoutMs: number;
  /** Fraction of event ids (by hash) whose first attempt fails. */
  readonly failFraction: number;
  /** Work the handler does before its side effect, so that a batch is really in flight. */
  readonly handlerDelayMs: number;
  readonly effect: EffectMode;
  /** A second handler of the probe event on the same queue (ProbeAuditHandler). */
  readonly secondHandler: boolean;
  /** Fraction of event ids (by hash) the second handler gives up on at once (NonRetryableError). */
  readonly giveUpFraction: number;
  /** Fraction of event ids (by hash) whose first attempt never settles. */
  readonly hangFraction: number;
  /** EventsModule `handlerTimeoutMs`; undefined: the library's default. */
  readonly handlerTimeoutMs?: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`reliability-worker: ${name} is required`);
  return value;
}

function fraction(env: Env, name: string): number {
  const value = number(env, name, 0);
  if (value > 1) throw new Error(`reliability-worker: ${name} must be 0 to 1`);
  return value;
}

function number(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`reliability-worker: ${name} must be a number >= 0, got "${raw}"`);
  }
  return value;
}

/**
 * Reads the worker's configuration. The defaults suit the scenarios: a small visibility timeout
 * and lock TTL so that a crashed worker's messages come back within seconds, and a poll back-off
 * ceiling that an outage of a few seconds reaches.
 */
export function readWorkerConfig(env: Env): WorkerConfig {
  const transport = env.EVENTS_TRANSPORT ?? 'sns-sqs';
  if (transport !== 'sns-sqs' && transport !== 'eventbridge') {
    throw new Error(`reliability-worker: EVENTS_TRANSPORT must be sns-sqs or eventbridge`);
  }
  const effect = env.EFFECT ?? 'atomic';
  if (effect !== 'atomic' && effect !== 'separate') {
    throw new Error(`reliability-worker: EFFECT must be atomic or separate`);
  }
  return {
    run: required(env, 'RUN_ID'),
    worker: required(env, 'WORKER_NAME'),
    redisUrl: required(env, 'REDIS_URL'),
    transport,
    endpoint: required(env, 'EVENTS_ENDPOINT'),
    queue: required(env, 'EVENTS_QUEUE'),
    topicPrefix: env.EVENTS_TOPIC_PREFIX ?? '',
    eventBus: env.EVENT_BUS_NAME ?? 'default',
    provision: env.EVENTS_PROVISION === 'true',
    concurrency: number(env, 'CONCURRENCY', 50),
    visibilityTimeoutSeconds: number(env, 'VISIBILITY_TIMEOUT_S', 5),
    maxPollBackoffMs: number(env, 'MAX_POLL_BACKOFF_MS', 2000),
    lockTtlMs: number(env, 'LOCK_TTL_MS', 3000),
    idempotencyTtlMs: number(env, 'IDEMPOTENCY_TTL_MS', 3_600_000),
    shutdownTimeoutMs: number(env, 'SHUTDOWN_TIMEOUT_MS', 10_000),
    failFraction: fraction(env, 'FAIL_FRACTION'),
    handlerDelayMs: number(env, 'HANDLER_DELAY_MS', 0),
    effect,
    secondHandler: env.SECOND_HANDLER === 'true',
    giveUpFraction: fraction(env, 'GIVE_UP_FRACTION'),
    hangFraction: fraction(env, 'HANG_FRACTION'),
    handlerTimeoutMs: env.HANDLER_TIMEOUT_MS ? number(env, 'HANDLER_TIMEOUT_MS', 0) : undefined,
  };
}
