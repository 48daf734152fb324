import { Injectable, NotFoundException } from '@nestjs/common';
import { EventBus, EventFactory, type EventMetadata } from '@nestjs-events/core';
import { OrderCreated } from '@sample/contracts';
import { randomUUID } from 'node:crypto';
import { OrdersDatabase } from '../persistence/orders.database';
import type { Order, PlaceOrder } from './order';

@Injectable()
export class OrdersService {
  constructor(
    private readonly events: EventFactory,
    private readonly bus: EventBus,
    private readonly orders: OrdersDatabase,
  ) {}

  async place(input: PlaceOrder, metadata: Partial<EventMetadata> = {}): Promise<Order> {
    const order: Order = {
      ...input,
      id: `ord_${randomUUID()}`,
      createdAt: new Date().toISOString(),
    };
    // With DATABASE_URL, the order and its event commit together (the outbox); without, in memory.
    await this.orders.save(order, () =>
      this.bus.publish(
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
      ),
    );
    return order;
  }

  async get(id: string): Promise<Order> {
    const order = await this.orders.find(id);
    if (!order) throw new NotFoundException(`Order ${id} does not exist`);
    return order;
  }
}
