import { EventBus, InMemoryTransport } from '@nestjs-events/core';
import { OrderCreatedV1 } from '@sample/contracts';
import { MailSink, NotificationsModule, PointsLedger } from '@sample/notifications-service';
import { OrdersModule } from '@sample/orders-service';
import request from 'supertest';
import { createTestApp, type TestApp } from './fixtures/create-app';

describe('sample shop on the in-memory transport', () => {
  let shop: TestApp;
  let transport: InMemoryTransport;

  beforeEach(async () => {
    transport = new InMemoryTransport();
    shop = await createTestApp(
      { imports: [OrdersModule, NotificationsModule] },
      { source: 'sample-shop', transports: [transport] },
    );
  });
  afterEach(() => shop.app.close());

  const http = () => request(shop.app.getHttpServer());

  async function registerUser(): Promise<string> {
    const { body } = await http()
      .post('/users')
      .send({ email: 'minji@example.com', name: 'Minji' })
      .expect(201);
    return (body as { id: string }).id;
  }

  it('welcomes a new user by email', async () => {
    await registerUser();
    await shop.probe.waitForIdle();
    expect(shop.app.get(MailSink).list()).toEqual([
      expect.objectContaining({
        to: 'minji@example.com',
        template: 'welcome',
        subject: 'Welcome, Minji',
      }),
    ]);
  });

  it('a web order earns points and a confirmation, in one correlation', async () => {
    const userId = await registerUser();
    await shop.probe.waitForIdle();
    const { body: order } = await http()
      .post('/orders')
      .set('x-correlation-id', 'checkout-42')
      .send({ userId, amount: 25_000, channel: 'web' })
      .expect(201);
    await shop.probe.waitForIdle();
    await http().get(`/orders/${order.id}`).expect(200, order);
    expect(shop.app.get(PointsLedger).balance(userId)).toBe(250);
    const emails = shop.app
      .get(MailSink)
      .list()
      .filter((e) => e.template === 'order-confirmation');
    expect(emails).toEqual([expect.objectContaining({ to: userId, correlationId: 'checkout-42' })]);
    const published = shop.probe.published.filter(
      (e) => e.metadata.correlationId === 'checkout-42',
    );
    expect(published.map((e) => e.type).sort()).toEqual([
      'email.sent',
      'order.created',
      'points.credited',
    ]);
    expect(published.every((e) => e.source === 'sample-shop')).toBe(true);
    expect(shop.probe.published.some((e) => e.type === 'payment.authorized')).toBe(false);
  });

  it('a high-value order is authorized, and the receipt email is caused by the authorization', async () => {
    const userId = await registerUser();
    await http().post('/orders').send({ userId, amount: 150_000, channel: 'mobile' }).expect(201);
    const receipt = await shop.probe.waitFor('payment.authorized');
    await shop.probe.waitForIdle();
    const order = shop.probe.published.find((e) => e.type === 'order.created')!;
    const sent = shop.probe.published.find(
      (e) => e.type === 'email.sent' && e.metadata.causationId === receipt.event.id,
    );
    expect(receipt.event.metadata).toMatchObject({
      correlationId: order.metadata.correlationId,
      causationId: order.id,
    });
    expect(sent?.metadata.correlationId).toBe(order.metadata.correlationId);
    expect(
      shop.app
        .get(MailSink)
        .list()
        .map((e) => e.template),
    ).toEqual(['welcome', 'payment-receipt']);
  });

  it('handles a legacy v1 order upcast to v2, and skips its redelivery', async () => {
    const legacy = OrderCreatedV1.create({
      orderId: 'ord_legacy',
      userId: 'usr_1',
      amount: 120_000,
    });
    await shop.app.get(EventBus).publish(legacy);
    await shop.probe.waitForIdle();
    await shop.app.get(EventBus).publish(legacy);
    await shop.probe.waitForIdle();
    const handled = shop.probe.handled.filter((h) => h.event.id === legacy.id);
    expect(handled.map((h) => h.handler).sort()).toEqual([
      'EmailHandler.onOrderCreated',
      'PaymentsHandler.onOrderCreated',
      'PointsHandler.onOrderCreated',
    ]);
    expect(handled.every((h) => h.event.version === 2 && h.event.data)).toBe(true);
    expect(handled[0].event.data).toMatchObject({ currency: 'KRW', channel: 'web' });
    expect(shop.probe.of('skipped').filter((s) => s.reason === 'duplicate')).toHaveLength(3);
    expect(shop.app.get(PointsLedger).balance('usr_1')).toBe(1200);
    expect(transport.deadLetters).toHaveLength(0);
  });

  it('answers 400 with the failing fields for a bad order, and publishes nothing', async () => {
    const { body } = await http()
      .post('/orders')
      .send({ userId: '', amount: -5, channel: 'fax' })
      .expect(400);
    expect(body.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'amount',
      'channel',
      'userId',
    ]);
    expect(shop.probe.published).toHaveLength(0);
  });
});
