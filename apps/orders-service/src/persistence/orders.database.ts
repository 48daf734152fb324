import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Transport } from '@nestjs-events/core';
import { withOutbox } from '@nestjs-events/outbox';
import { PostgresOutboxStore } from '@nestjs-events/outbox/postgres';
import { Pool } from 'pg';
import type { Order } from '../orders/order';

/**
 * Where orders live: PostgreSQL when `DATABASE_URL` is set, with `order.created` written to the
 * outbox in the order's own transaction; this process's memory otherwise (the bare demo).
 */
export class OrdersDatabase implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(OrdersDatabase.name);
  private readonly memory = new Map<string, Order>();
  private readonly pool?: Pool;
  /** The outbox the service's transports are wrapped with, when orders are in PostgreSQL. */
  readonly outbox?: PostgresOutboxStore;

  constructor(databaseUrl: string | undefined) {
    if (databaseUrl) {
      this.pool = new Pool({
        connectionString: databaseUrl,
        max: 10,
        connectionTimeoutMillis: 5000,
      });
      // node-postgres emits idle connections' errors (a server restart) on the pool: log them.
      this.pool.on('error', (error) =>
        this.logger.warn(`Idle PostgreSQL connection failed: ${error.message}`),
      );
      this.outbox = new PostgresOutboxStore({ pool: this.pool });
    }
  }

  /** The service's transports, wrapped with the outbox when there is one. */
  transports(transports: Transport[]): Transport[] {
    const store = this.outbox;
    return store ? transports.map((transport) => withOutbox(transport, { store })) : transports;
  }

  async onModuleInit(): Promise<void> {
    if (!this.pool || !this.outbox) return;
    // A sample creates its tables; a service would run migrations (see postgresOutboxSchema).
    await this.outbox.ensureSchema();
    await this.pool.query(`CREATE TABLE IF NOT EXISTS orders (
      id text PRIMARY KEY,
      user_id text NOT NULL,
      amount integer NOT NULL,
      currency text NOT NULL,
      channel text NOT NULL,
      created_at timestamptz NOT NULL
    )`);
  }

  /** Saves `order` and runs `publish` in one transaction: both commit, or neither. */
  async save(order: Order, publish: () => Promise<void>): Promise<void> {
    if (!this.outbox) {
      this.memory.set(order.id, order);
      await publish();
      return;
    }
    await this.outbox.transaction(async (client) => {
      await client.query(
        `INSERT INTO orders (id, user_id, amount, currency, channel, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [order.id, order.userId, order.amount, order.currency, order.channel, order.createdAt],
      );
      await publish();
    });
  }

  async find(id: string): Promise<Order | undefined> {
    if (!this.pool) return this.memory.get(id);
    const { rows } = await this.pool.query<{
      id: string;
      user_id: string;
      amount: number;
      currency: string;
      channel: Order['channel'];
      created_at: Date;
    }>('SELECT * FROM orders WHERE id = $1', [id]);
    const row = rows[0];
    return (
      row && {
        id: row.id,
        userId: row.user_id,
        amount: row.amount,
        currency: row.currency,
        channel: row.channel,
        createdAt: row.created_at.toISOString(),
      }
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool?.end();
  }
}
