import { Injectable, NotFoundException } from '@nestjs/common';
import { EventBus, EventFactory, type EventMetadata } from '@nestjs-events/core';
import { OrderCreated } from '@sample/contracts';
import { randomUUID } from 'node:crypto';
import type { Order, PlaceOrder } from './order';

@Injectable()
export class OrdersService {
  // A real service keeps orders in a database and publishes through an outbox in the same
  // transaction; the sample keeps them in memory.
  private readonly orders = new Map<string, Order>();

  constructor(
    private readonly events: EventFactory,
    private readonly bus: EventBus,
  ) {}

  async place(input: PlaceOrder, metadata: Partial<EventMetadata> = {}): Promise<Order> {
    const order: Order = {
      ...input,
      id: `ord_${randomUUID()}`,
      createdAt: new Date().toISOString(),
    };
    this.orders.set(order.id, order);
    await this.bus.publish(
      this.events.create(
        OrderCreated,
        {
          orderId: order.id,
          userId: order.userId,
          amount: order.amount,
          currency: order.currency,
          channel: order.channel,
        },
        { aggregateId: order.id, metadata },
      ),
    );
    return order;
  }

  get(id: string): Order {
    const order = this.orders.get(id);
    if (!order) throw new NotFoundException(`Order ${id} does not exist`);
    return order;
  }
}
