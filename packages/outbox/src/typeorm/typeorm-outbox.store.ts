import type { DataSource, EntityManager } from 'typeorm';
import { OutboxError } from '../outbox.errors';
import {
  SqlOutboxStore,
  type PgPoolLike,
  type SqlOutboxStoreOptions,
} from '../postgres/sql-outbox.store';

export interface TypeOrmOutboxStoreOptions extends SqlOutboxStoreOptions {
  /**
   * A TypeORM `DataSource` of type `postgres`. The relay uses its driver's pool once it is
   * initialized; `transaction()` runs `dataSource.transaction`.
   */
  dataSource: DataSource;
}

/**
 * The outbox and inbox in PostgreSQL through TypeORM:
 *
 * ```ts
 * await outbox.transaction(async (manager) => {
 *   await manager.save(Order, order);
 *   await bus.publish(OrderCreated.create({ … })); // written with the order, sent after commit
 * });
 * ```
 *
 * A transaction begun elsewhere (a `QueryRunner`, `dataSource.transaction`) joins with
 * `withTransaction(managerOrQueryRunner, fn)`.
 */
export class TypeOrmOutboxStore extends SqlOutboxStore<EntityManager> {
  private readonly dataSource: DataSource;

  constructor(options: TypeOrmOutboxStoreOptions) {
    super(options);
    const type = options?.dataSource?.options?.type;
    if (type !== 'postgres') {
      throw new TypeError(
        `TypeOrmOutboxStore: the DataSource must be of type "postgres", got ${JSON.stringify(type)}.`,
      );
    }
    this.dataSource = options.dataSource;
  }

  protected pool(): PgPoolLike {
    // TypeORM's PostgreSQL driver keeps its node-postgres pool as `master` once initialized.
    const master = (this.dataSource.driver as unknown as { master?: PgPoolLike }).master;
    if (!this.dataSource.isInitialized || typeof master?.connect !== 'function') {
      throw new OutboxError(
        'TypeOrmOutboxStore: the DataSource is not initialized (or has no connection pool); ' +
          'initialize it before the application starts its transports.',
      );
    }
    return master;
  }

  /** `dataSource.transaction(fn)`, with its EntityManager as the outbox transaction. */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await this.bound(manager);
      return this.withTransaction(manager, () => fn(manager));
    });
  }
}
