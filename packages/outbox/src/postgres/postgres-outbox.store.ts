import {
  SqlOutboxStore,
  type PgClientLike,
  type PgPoolLike,
  type SqlOutboxStoreOptions,
} from './sql-outbox.store';

export interface PostgresOutboxStoreOptions extends SqlOutboxStoreOptions {
  /**
   * A node-postgres `Pool`. `transaction()` and the relay take connections from it; a running
   * relay keeps one for `LISTEN`. The store never ends the pool.
   */
  pool: PgPoolLike;
}

/**
 * The outbox and inbox in PostgreSQL through node-postgres (`pg`):
 *
 * ```ts
 * await outbox.transaction(async (client) => {
 *   await client.query('INSERT INTO orders …', […]);
 *   await bus.publish(OrderCreated.create({ … })); // written to the outbox, sent after COMMIT
 * });
 * ```
 */
export class PostgresOutboxStore extends SqlOutboxStore<PgClientLike> {
  private readonly pg: PgPoolLike;

  constructor(options: PostgresOutboxStoreOptions) {
    super(options);
    if (typeof options?.pool?.connect !== 'function') {
      throw new TypeError(
        'PostgresOutboxStore: pool must be a node-postgres Pool (new Pool({ … })).',
      );
    }
    this.pg = options.pool;
  }

  protected pool(): PgPoolLike {
    return this.pg;
  }

  /** `BEGIN`, `fn(client)` with the client as the outbox transaction, `COMMIT` (or `ROLLBACK`). */
  transaction<T>(fn: (client: PgClientLike) => Promise<T>): Promise<T> {
    return this.inTransaction((client) => this.withTransaction(client, () => fn(client)));
  }
}
