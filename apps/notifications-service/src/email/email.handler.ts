import { Injectable } from '@nestjs/common';
import { EventBus, EventHandler, Idempotent, type EventOf } from '@nestjs-events/core';
import { EmailSent, OrderCreated, PaymentAuthorized, UserRegistered } from '@sample/contracts';
import { MailSink, type Email } from './mail.sink';

/** Emails customers: a confirmation for web orders, a receipt for authorized payments, a welcome for new users. */
@Injectable()
export class EmailHandler {
  constructor(
    private readonly sink: MailSink,
    private readonly bus: EventBus,
  ) {}

  @Idempotent()
  @EventHandler(OrderCreated, { pattern: { data: { channel: ['web'] } } })
  async onOrderCreated(event: EventOf<typeof OrderCreated>): Promise<void> {
    await this.send(event, {
      to: event.data.userId,
      template: 'order-confirmation',
      subject: `Order ${event.data.orderId} confirmed (${event.data.amount} ${event.data.currency})`,
    });
  }

  @Idempotent()
  @EventHandler(UserRegistered)
  async onUserRegistered(event: EventOf<typeof UserRegistered>): Promise<void> {
    await this.send(event, {
      to: event.data.email,
      template: 'welcome',
      subject: `Welcome, ${event.data.name}`,
    });
  }

  @Idempotent()
  @EventHandler(PaymentAuthorized)
  async onPaymentAuthorized(event: EventOf<typeof PaymentAuthorized>): Promise<void> {
    await this.send(event, {
      to: event.data.userId,
      template: 'payment-receipt',
      subject: `Payment of ${event.data.amount} ${event.data.currency} authorized for ${event.data.orderId}`,
    });
  }

  private async send(
    event: EventOf<typeof OrderCreated | typeof UserRegistered | typeof PaymentAuthorized>,
    email: Pick<Email, 'to' | 'template' | 'subject'>,
  ): Promise<void> {
    await this.sink.send({
      ...email,
      aboutEventId: event.id,
      correlationId: event.metadata.correlationId,
    });
    await this.bus.publish(EmailSent.create({ ...email, aboutEventId: event.id }));
  }
}
