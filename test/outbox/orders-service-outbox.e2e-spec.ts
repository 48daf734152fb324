import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EventHandler, type EventEnvelope } from '@nestjs-events/core';
import { OrderCreated } from '@sample/contracts';
import { OrdersServiceModule } from '@sample/orders-service';
import { Pool } from 'pg';
import request from 'supertest';
import { until } from '../fixtures/until';

@Injectable()
class OrderEvents {
  readonly seen: EventEnvelope[] = [];

  @EventHandler(OrderCreated)
  created(event: EventEnvelope) {
    this.seen.push(event);
  }
}

describe('orders-service with DATABASE_URL: orders in PostgreSQL, events through the outbox', () => {
  let app: INestApplication;
  let pool: Pool;
  const saved = {
    DATABASE_URL: process.env.DATABASE_URL,
    EVENTS_TRANSPORT: process.env.EVENTS_TRANSPORT,
  };

  beforeAll(async () => {
    const url = process.env.POSTGRES_URL;
    if (!url) throw new Error('POSTGRES_URL is not set: run with the e2e global setup');
    process.env.DATABASE_URL = url;
    process.env.EVENTS_TRANSPORT = 'memory';
    pool = new Pool({ connectionString: url });
    const moduleRef = await Test.createTestingModule({
      imports: [OrdersServiceModule],
      providers: [OrderEvents],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
    await pool?.end();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('saves the order and relays order.created after the commit', async () => {
    const { body } = await request(app.getHttpServer())
      .post('/orders')
      .send({ userId: 'usr_1', amount: 12_000 })
      .expect(201);
    const order = body as { id: string };
    const events = app.get(OrderEvents);
    await until(() => events.seen.some((e) => e.aggregateId === order.id), 5000, 'order.created');

    const { rows } = await pool.query('SELECT amount FROM orders WHERE id = $1', [order.id]);
    expect(rows).toEqual([{ amount: 12_000 }]);
    const outbox = await pool.query(
      `SELECT event_type, sent_at IS NOT NULL AS sent FROM nestjs_events_outbox WHERE order_key = $1`,
      [order.id],
    );
    await until(
      async () =>
        (
          await pool.query(
            'SELECT 1 FROM nestjs_events_outbox WHERE order_key = $1 AND sent_at IS NOT NULL',
            [order.id],
          )
        ).rowCount === 1,
      5000,
      'the outbox row marked sent',
    );
    expect(outbox.rows.map((row: { event_type: string }) => row.event_type)).toEqual([
      'order.created',
    ]);
    await request(app.getHttpServer()).get(`/orders/${order.id}`).expect(200);
  });

  it('publishes nothing when the order cannot be saved', async () => {
    const events = app.get(OrderEvents);
    const before = events.seen.length;
    // An amount over PostgreSQL's integer range: the INSERT fails, the transaction rolls back.
    await request(app.getHttpServer())
      .post('/orders')
      .send({ userId: 'usr_2', amount: 2 ** 31 })
      .expect(500);
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM nestjs_events_outbox
        WHERE envelope->'data'->>'userId' = 'usr_2'`,
    );
    expect(rows[0].n).toBe(0);
    // A later order is relayed, and it is the only new event.
    const { body } = await request(app.getHttpServer())
      .post('/orders')
      .send({ userId: 'usr_3', amount: 1 })
      .expect(201);
    await until(
      () => events.seen.some((e) => e.aggregateId === (body as { id: string }).id),
      5000,
      'the later order.created',
    );
    expect(events.seen.slice(before).map((e) => (e.data as { userId: string }).userId)).toEqual([
      'usr_3',
    ]);
  });
});
