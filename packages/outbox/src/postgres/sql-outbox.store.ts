import { Logger } from '@nestjs/common';
import type { EventEnvelope } from '@nestjs-events/core';
import { backoffDelay, describeError } from '@nestjs-events/core/transport';
import { currentOutboxScope, runInOutboxScope } from '../context/outbox.scope';
import type { InboxResult, InboxStore } from '../inbox/inbox-store.interface';
import { OutboxError } from '../outbox.errors';
import type {
  OutboxCounts,
  OutboxRecord,
  OutboxRow,
  OutboxRowOutcome,
  OutboxStore,
  ParkedOutboxRow,
} from '../outbox-store.interface';
import {
  derivedName,
  postgresOutboxSchema,
  qualifiedName,
  type PostgresOutboxTables,
  type QualifiedName,
} from './postgres.schema';

/** Anything that runs a parameterized statement: a pg client, a TypeORM EntityManager or QueryRunner. */
export interface SqlQueryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/** The part of a node-postgres client the stores use. */
export interface PgClientLike {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  release(destroy?: boolean | Error): void;
  on(
    event: 'notification',
    listener: (message: { channel: string; payload?: string }) => void,
  ): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** The part of a node-postgres `Pool` the stores use. */
export interface PgPoolLike {
  connect(): Promise<PgClientLike>;
}

export interface SqlOutboxStoreOptions extends PostgresOutboxTables {
  /**
   * Bound of each statement the relay and the inbox run (`SET LOCAL statement_timeout`), and of
   * the waits for a row lock in the inbox (`lock_timeout`). @default 10000
   */
  statementTimeoutMs?: number;
  /**
   * Bound of a relay transaction left idle while it publishes
   * (`idle_in_transaction_session_timeout`): keep it above the relay's `sendTimeoutMs`.
   * @default 60000
   */
  idleInTransactionTimeoutMs?: number;
}

interface ClaimedRow {
  id: string;
  order_key: string | null;
  envelope: EventEnvelope;
  attempts: number;
}

const LISTEN_RETRY_BASE_MS = 200;
const LISTEN_RETRY_MAX_MS = 10_000;

/**
 * The PostgreSQL outbox and inbox, whatever holds the user's transaction. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED` in a transaction that lasts the publish, so a relay that dies releases
 * its rows with its connection; a row is only sent when no earlier unsent row of its order key is
 * held elsewhere or waiting for a retry. Commits wake relays through `NOTIFY`.
 */
export abstract class SqlOutboxStore<THandle extends SqlQueryable>
  implements OutboxStore, InboxStore
{
  readonly description: string;
  protected readonly outbox: QualifiedName;
  protected readonly inbox: QualifiedName;
  protected readonly channel: string;
  private readonly statementTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly tables: PostgresOutboxTables;
  private readonly logger = new Logger('PostgresOutbox');

  protected constructor(options: SqlOutboxStoreOptions) {
    this.tables = { outboxTable: options.outboxTable, inboxTable: options.inboxTable };
    this.outbox = qualifiedName(options.outboxTable ?? 'nestjs_events_outbox', 'outboxTable');
    this.inbox = qualifiedName(options.inboxTable ?? 'nestjs_events_inbox', 'inboxTable');
    this.channel = derivedName(this.outbox.base, 'appended');
    this.statementTimeoutMs = Math.floor(options.statementTimeoutMs ?? 10_000);
    this.idleTimeoutMs = Math.floor(options.idleInTransactionTimeoutMs ?? 60_000);
    this.description = `PostgreSQL table ${this.outbox.sql}`;
  }

  /** The pool the relay and the listener take their own connections from. */
  protected abstract pool(): PgPoolLike;

  /**
   * Runs `fn` in a new transaction, as the outbox transaction of its async context: what it
   * publishes is written in the same transaction, and relayed once it commits. Rolls back when
   * `fn` throws (nothing is sent) and rethrows.
   */
  abstract transaction<T>(fn: (transaction: THandle) => Promise<T>): Promise<T>;

  /**
   * Makes `transaction`, which the caller has begun and will commit, the outbox transaction of
   * `fn`'s async context.
   */
  withTransaction<T>(transaction: THandle, fn: () => T): T {
    return runInOutboxScope({ store: this, transaction }, fn);
  }

  /** The transaction of the current async context (inside `transaction`, or an `@Inbox()` handler). */
  current(): THandle {
    const scope = currentOutboxScope();
    if (!scope || scope.store !== this) {
      throw new OutboxError(
        `No transaction of ${this.description} is in progress here: call current() inside ` +
          'store.transaction(...), store.withTransaction(...) or an @Inbox() handler.',
      );
    }
    return scope.transaction as THandle;
  }

  /** Creates the outbox and inbox tables and their indexes when missing. */
  async ensureSchema(): Promise<void> {
    await this.withClient(async (client) => {
      for (const statement of postgresOutboxSchema(this.tables)) await client.query(statement);
    });
  }

  async append(
    transaction: unknown,
    destination: string,
    records: readonly OutboxRecord[],
  ): Promise<void> {
    if (records.length === 0) return;
    const rows = JSON.stringify(
      records.map(({ envelope, orderKey }) => ({
        event_id: envelope.id,
        event_type: envelope.type,
        order_key: orderKey ?? null,
        envelope,
      })),
    );
    // One statement: the rows in their order (ids follow it), and a NOTIFY delivered at commit.
    await (transaction as SqlQueryable).query(
      `WITH added AS (
         INSERT INTO ${this.outbox.sql} (destination, event_id, event_type, order_key, envelope)
         SELECT $1, r.value->>'event_id', r.value->>'event_type', r.value->>'order_key', r.value->'envelope'
           FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS r(value, n)
          ORDER BY r.n
         RETURNING 1)
       SELECT pg_notify($3, $1) FROM (SELECT 1 FROM added LIMIT 1) AS one`,
      [destination, rows, this.channel],
    );
  }

  async appendCommitted(destination: string, records: readonly OutboxRecord[]): Promise<void> {
    await this.inTransaction((client) => this.append(client, destination, records));
  }

  async relay(
    destination: string,
    limit: number,
    send: (rows: readonly OutboxRow[]) => Promise<readonly OutboxRowOutcome[]>,
  ): Promise<number> {
    return this.inTransaction(async (client) => {
      await client.query(`SELECT set_config('idle_in_transaction_session_timeout', $1, true)`, [
        String(this.idleTimeoutMs),
      ]);
      const claimed = (
        await client.query(
          `SELECT o.id::text AS id, o.order_key, o.envelope, o.attempts FROM ${this.outbox.sql} AS o
            WHERE o.destination = $1 AND o.sent_at IS NULL AND o.parked_at IS NULL
              AND o.available_at <= now()
            ORDER BY o.id LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [destination, limit],
        )
      ).rows as ClaimedRow[];
      if (claimed.length === 0) return 0;
      const sendable = await this.inOrder(client, destination, claimed);
      if (sendable.length === 0) return claimed.length;
      const outcomes = await send(sendable);
      await this.record(client, outcomes);
      return claimed.length;
    });
  }

  /**
   * Drops claimed rows that an unclaimed earlier row of their order key must precede (held by
   * another relay, waiting for a retry, or skipped by our LIMIT).
   */
  private async inOrder(
    client: PgClientLike,
    destination: string,
    claimed: ClaimedRow[],
  ): Promise<OutboxRow[]> {
    const keys = [
      ...new Set(claimed.flatMap((row) => (row.order_key === null ? [] : [row.order_key]))),
    ];
    const firstElsewhere = new Map<string, bigint>();
    if (keys.length > 0) {
      const { rows } = await client.query(
        `SELECT order_key, min(id)::text AS first FROM ${this.outbox.sql}
          WHERE destination = $1 AND sent_at IS NULL AND parked_at IS NULL
            AND order_key = ANY($2::text[]) AND NOT (id = ANY($3::bigint[]))
          GROUP BY order_key`,
        [destination, keys, claimed.map((row) => row.id)],
      );
      for (const row of rows as { order_key: string; first: string }[]) {
        firstElsewhere.set(row.order_key, BigInt(row.first));
      }
    }
    return claimed.flatMap((row): OutboxRow[] => {
      if (row.order_key !== null) {
        const first = firstElsewhere.get(row.order_key);
        if (first !== undefined && first < BigInt(row.id)) return [];
      }
      return [
        {
          id: row.id,
          envelope: row.envelope,
          attempts: row.attempts,
          ...(row.order_key === null ? {} : { orderKey: row.order_key }),
        },
      ];
    });
  }

  private async record(client: PgClientLike, outcomes: readonly OutboxRowOutcome[]): Promise<void> {
    const sent = outcomes.filter((o) => o.status === 'sent').map((o) => o.id);
    const retry = outcomes.filter((o) => o.status === 'retry');
    const parked = outcomes.filter((o) => o.status === 'parked');
    if (sent.length > 0) {
      await client.query(
        `UPDATE ${this.outbox.sql} SET sent_at = now() WHERE id = ANY($1::bigint[])`,
        [sent],
      );
    }
    if (retry.length > 0) {
      await client.query(
        `UPDATE ${this.outbox.sql} AS t
            SET attempts = t.attempts + 1, last_error = v.error,
                available_at = now() + make_interval(secs => v.delay_ms / 1000.0)
           FROM unnest($1::bigint[], $2::float8[], $3::text[]) AS v(id, delay_ms, error)
          WHERE t.id = v.id`,
        [retry.map((o) => o.id), retry.map((o) => o.delayMs), retry.map((o) => o.error)],
      );
    }
    if (parked.length > 0) {
      await client.query(
        `UPDATE ${this.outbox.sql} AS t
            SET attempts = t.attempts + 1, last_error = v.error, parked_at = now()
           FROM unnest($1::bigint[], $2::text[]) AS v(id, error)
          WHERE t.id = v.id`,
        [parked.map((o) => o.id), parked.map((o) => o.error)],
      );
    }
  }

  async purgeSent(destination: string, before: Date, limit: number): Promise<number> {
    return this.withClient(async (client) => {
      const { rowCount } = await client.query(
        `DELETE FROM ${this.outbox.sql} WHERE id IN (
           SELECT id FROM ${this.outbox.sql}
            WHERE destination = $1 AND sent_at IS NOT NULL AND sent_at < $2
            LIMIT $3)`,
        [destination, before, limit],
      );
      return rowCount ?? 0;
    });
  }

  /** Deletes inbox records older than `before`; keep them longer than any redelivery can come. */
  async purgeInbox(before: Date, limit = 10_000): Promise<number> {
    return this.withClient(async (client) => {
      const { rowCount } = await client.query(
        `DELETE FROM ${this.inbox.sql} WHERE ctid IN (
           SELECT ctid FROM ${this.inbox.sql} WHERE processed_at < $1 LIMIT $2)`,
        [before, limit],
      );
      return rowCount ?? 0;
    });
  }

  async counts(destination: string): Promise<OutboxCounts> {
    return this.withClient(async (client) => {
      const { rows } = await client.query(
        `SELECT count(*) FILTER (WHERE parked_at IS NULL)::int AS pending,
                count(*) FILTER (WHERE parked_at IS NOT NULL)::int AS parked
           FROM ${this.outbox.sql} WHERE destination = $1 AND sent_at IS NULL`,
        [destination],
      );
      return rows[0] as OutboxCounts;
    });
  }

  async parked(destination: string, limit = 100): Promise<readonly ParkedOutboxRow[]> {
    return this.withClient(async (client) => {
      const { rows } = await client.query(
        `SELECT o.id::text AS id, o.event_id, o.event_type, o.order_key, o.attempts, o.last_error,
                o.parked_at
           FROM ${this.outbox.sql} AS o
          WHERE o.destination = $1 AND o.sent_at IS NULL AND o.parked_at IS NOT NULL
          ORDER BY o.id LIMIT $2`,
        [destination, limit],
      );
      return (rows as Record<string, unknown>[]).map((row) => ({
        id: row.id as string,
        eventId: row.event_id as string,
        eventType: row.event_type as string,
        ...(row.order_key === null ? {} : { orderKey: row.order_key as string }),
        attempts: row.attempts as number,
        error: (row.last_error as string | null) ?? '',
        parkedAt: row.parked_at as Date,
      }));
    });
  }

  async requeueParked(destination: string, ids?: readonly string[]): Promise<number> {
    return this.withClient(async (client) => {
      const { rowCount } = await client.query(
        `UPDATE ${this.outbox.sql}
            SET parked_at = NULL, attempts = 0, available_at = now()
          WHERE destination = $1 AND sent_at IS NULL AND parked_at IS NOT NULL
            AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))`,
        [destination, ids ? [...ids] : null],
      );
      if ((rowCount ?? 0) > 0)
        await client.query(`SELECT pg_notify($1, $2)`, [this.channel, destination]);
      return rowCount ?? 0;
    });
  }

  async listen(destination: string, onAppend: () => void): Promise<() => Promise<void>> {
    let stopped = false;
    let client: PgClientLike | undefined;
    let failures = 0;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      const next = await this.pool().connect();
      next.on('notification', (message) => {
        if (message.channel === this.channel && message.payload === destination) onAppend();
      });
      next.on('error', (error) => {
        if (stopped || client !== next) return;
        client = undefined;
        next.release(error);
        this.logger.warn(
          `Lost the LISTEN connection of ${this.description} (${describeError(error)}); ` +
            'the relay polls until it is back',
        );
        reconnect();
      });
      try {
        await next.query(`LISTEN "${this.channel}"`);
      } catch (error) {
        next.release(true);
        throw error;
      }
      if (stopped) {
        next.release(true);
        return;
      }
      client = next;
      failures = 0;
      // Rows may have been committed while no one listened.
      onAppend();
    };
    const reconnect = () => {
      failures++;
      retry = setTimeout(
        () => {
          retry = undefined;
          if (!stopped) connect().catch(() => !stopped && reconnect());
        },
        Math.max(
          LISTEN_RETRY_BASE_MS,
          backoffDelay(failures, LISTEN_RETRY_BASE_MS, LISTEN_RETRY_MAX_MS),
        ),
      );
      retry.unref();
    };
    await connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      const held = client;
      client = undefined;
      held?.release(true);
      return Promise.resolve();
    };
  }

  runOnce<T>(handler: string, eventId: string, fn: () => Promise<T>): Promise<InboxResult<T>> {
    return this.transaction(async (transaction) => {
      const inserted = await this.markProcessed(transaction, handler, eventId);
      if (!inserted) return { ran: false } as const;
      return { ran: true, result: await fn() } as const;
    });
  }

  /** True when (handler, eventId) was not recorded yet and now is, in `transaction`. */
  protected async markProcessed(
    transaction: SqlQueryable,
    handler: string,
    eventId: string,
  ): Promise<boolean> {
    await transaction.query(`SELECT set_config('lock_timeout', $1, true)`, [
      String(this.statementTimeoutMs),
    ]);
    const result = await transaction.query(
      `INSERT INTO ${this.inbox.sql} (handler, event_id) VALUES ($1, $2)
       ON CONFLICT DO NOTHING RETURNING 1 AS inserted`,
      [handler, eventId],
    );
    return rowsOf(result).length > 0;
  }

  /** Settings every transaction of the store starts with. */
  protected async bound(transaction: SqlQueryable): Promise<void> {
    await transaction.query(`SELECT set_config('statement_timeout', $1, true)`, [
      String(this.statementTimeoutMs),
    ]);
  }

  /** A transaction on a connection of the pool, outside any user code. */
  protected async inTransaction<T>(fn: (client: PgClientLike) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      // One round trip: the bound is a number of ours, so the simple protocol is safe here.
      await client.query(`BEGIN; SET LOCAL statement_timeout = ${this.statementTimeoutMs}`);
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  protected async withClient<T>(fn: (client: PgClientLike) => Promise<T>): Promise<T> {
    const client = await this.pool().connect();
    let failure: unknown;
    try {
      return await fn(client);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      // A connection whose statement failed at the protocol level is not handed out again.
      client.release(failure !== undefined && isConnectionError(failure));
    }
  }
}

/** The rows of a query result: pg returns `{ rows }`, TypeORM the rows themselves. */
function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) {
    // TypeORM returns [rows, affected] for some statements on PostgreSQL.
    return result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number'
      ? (result[0] as unknown[])
      : result;
  }
  return (result as { rows?: unknown[] } | undefined)?.rows ?? [];
}

function isConnectionError(error: unknown): boolean {
  // SQLSTATE classes 08 (connection) and 57 (operator intervention, e.g. a killed session);
  // errors without a code are the driver's own (a socket that closed).
  const code = (error as { code?: unknown })?.code;
  return typeof code !== 'string' || code.startsWith('08') || code.startsWith('57');
}
