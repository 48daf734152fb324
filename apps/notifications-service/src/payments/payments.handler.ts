import { Injectable } from '@nestjs/common';
import { EventBus, EventHandler, Idempotent, type EventOf } from '@nestjs-events/core';
import { HIGH_VALUE_AMOUNT, OrderCreated, PaymentAuthorized } from '@sample/contracts';
import { PaymentGateway } from './payment.gateway';

/** Authorizes the payment of high-value orders up front. */
@Injectable()
export class PaymentsHandler {
  constructor(
    private readonly gateway: PaymentGateway,
    private readonly bus: EventBus,
  ) {}

  @Idempotent({ key: (event) => (event as EventOf<typeof OrderCreated>).data.orderId })
  @EventHandler(OrderCreated, {
    pattern: { data: { amount: [{ numeric: ['>=', HIGH_VALUE_AMOUNT] }] } },
    retry: { maxAttempts: 5 },
  })
  async onOrderCreated(event: EventOf<typeof OrderCreated>): Promise<void> {
    const { orderId, userId, amount, currency } = event.data;
    const { id: authorizationId } = await this.gateway.authorize(orderId, amount, currency);
    await this.bus.publish(
      PaymentAuthorized.create(
        { orderId, userId, amount, currency, authorizationId },
        { aggregateId: orderId },
      ),
    );
  }
}
