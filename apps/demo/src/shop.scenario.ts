import type { Email } from '@sample/notifications-service';

async function call<T>(
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`${method} ${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

export interface ScenarioResult {
  readonly userId: string;
  readonly correlationId: string;
  readonly emails: readonly Email[];
  readonly points: number;
}

/**
 * The shop's main flow against running services: a user registers, places a web order (with a
 * correlation id) and a high-value mobile order; resolves when the three emails this causes
 * (welcome, confirmation, payment receipt) have been sent, or rejects after `timeoutMs`.
 */
export async function runShopScenario(
  ordersUrl: string,
  notificationsUrl: string,
  timeoutMs = 30_000,
): Promise<ScenarioResult> {
  const correlationId = `checkout-${Date.now()}`;
  const { id: userId } = await call<{ id: string }>('POST', `${ordersUrl}/users`, {
    email: 'minji@example.com',
    name: 'Minji',
  });
  await call(
    'POST',
    `${ordersUrl}/orders`,
    { userId, amount: 25_000, channel: 'web' },
    { 'x-correlation-id': correlationId },
  );
  await call('POST', `${ordersUrl}/orders`, { userId, amount: 150_000, channel: 'mobile' });
  const expected = ['order-confirmation', 'payment-receipt', 'welcome'];
  const deadline = Date.now() + timeoutMs;
  let emails: Email[] = [];
  // The emails are sent by another process: poll its sink until they are all there.
  while (Date.now() < deadline) {
    emails = await call<Email[]>('GET', `${notificationsUrl}/emails`);
    if (expected.every((template) => emails.some((email) => email.template === template))) {
      const { points } = await call<{ points: number }>(
        'GET',
        `${notificationsUrl}/points/${userId}`,
      );
      return { userId, correlationId, emails, points };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `Emails after ${timeoutMs} ms: ${JSON.stringify(emails.map((e) => e.template))}; expected ${expected.join(', ')}`,
  );
}
