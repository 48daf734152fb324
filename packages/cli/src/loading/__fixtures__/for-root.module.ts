import { Injectable, Module } from '@nestjs/common';
import { EventHandler, EventsModule } from '@nestjs-events/core';
import { SqsTransport } from '@nestjs-events/sqs';

/** Counts constructions: the CLI must build none of the application's providers. */
export const constructed = { listeners: 0 };

@Injectable()
export class InvoiceListener {
  constructor() {
    constructed.listeners++;
  }

  @EventHandler('invoice.paid', { queue: 'invoices' })
  onPaid() {}
}

/** An application whose EventsModule options are a plain value (forRoot). */
@Module({
  imports: [
    EventsModule.forRoot({
      source: 'billing',
      transports: [new SqsTransport({ sqsClient: {} as never, queues: [{ name: 'invoices' }] })],
    }),
  ],
  providers: [InvoiceListener],
})
export class BillingModule {}
