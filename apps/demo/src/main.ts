import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventBus, EventsMonitor, InMemoryTransport } from '@nestjs-events/core';
import { OrderCreatedV1 } from '@sample/contracts';
import { MailSink, PointsLedger } from '@sample/notifications-service';
import type { Order } from '@sample/orders-service';
import { DemoModule } from './demo.module';
import { formatNotification } from './trace.printer';

const serve = process.argv.includes('--serve');

async function post<T>(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * The sample shop in one process: places orders over HTTP, lets the handlers react, prints every
 * step of the event flow, and exits (or, with --serve, keeps serving on PORT).
 */
async function main(): Promise<void> {
  const transport = new InMemoryTransport();
  const app = await NestFactory.create(DemoModule.register(transport), {
    logger: serve ? ['log', 'warn', 'error'] : ['warn', 'error'],
  });
  app.enableShutdownHooks();
  app.get(EventsMonitor).notifications$.subscribe((n) => console.log(formatNotification(n)));
  await app.listen(serve ? Number(process.env.PORT ?? 3000) : 0, '127.0.0.1');
  const base = await app.getUrl();

  if (serve) {
    new Logger('Demo').log(
      `Serving on ${base}: POST /orders, GET /orders/:id, POST /users, GET /emails`,
    );
    return;
  }

  console.log(`Sample shop on ${base}, in-memory transport\n`);
  console.log('1) POST /users');
  const user = await post<{ id: string }>(base, '/users', {
    email: 'minji@example.com',
    name: 'Minji',
  });
  await transport.whenIdle();

  console.log('\n2) POST /orders: a small web order (points and a confirmation email)');
  await post<Order>(
    base,
    '/orders',
    { userId: user.id, amount: 25_000, channel: 'web' },
    { 'x-correlation-id': 'checkout-42' },
  );
  await transport.whenIdle();

  console.log(
    '\n3) POST /orders: a high-value mobile order (points, a payment authorization, then its receipt email)',
  );
  const big = await post<Order>(base, '/orders', {
    userId: user.id,
    amount: 150_000,
    currency: 'KRW',
    channel: 'mobile',
  });
  await transport.whenIdle();

  console.log(
    '\n4) A legacy producer publishes order.created v1: handlers receive it upcast to v2',
  );
  const legacy = OrderCreatedV1.create(
    { orderId: 'ord_legacy_1', userId: user.id, amount: 120_000 },
    { source: 'legacy-checkout' },
  );
  await app.get(EventBus).publish(legacy);
  await transport.whenIdle();

  console.log('\n5) The broker delivers the legacy event again: idempotent handlers skip it');
  await app.get(EventBus).publish(legacy);
  await transport.whenIdle();

  const emails = app.get(MailSink).list();
  console.log(
    `\nGET /orders/${big.id} -> ${JSON.stringify(await (await fetch(`${base}/orders/${big.id}`)).json())}`,
  );
  console.log(`Emails sent (${emails.length}):`);
  for (const email of emails)
    console.log(`  - ${email.template.padEnd(18)} to ${email.to}: ${email.subject}`);
  console.log(`Points of ${user.id}: ${app.get(PointsLedger).balance(user.id)}`);
  console.log(`Dead letters: ${transport.deadLetters.length}`);
  await app.close();
  if (transport.deadLetters.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
