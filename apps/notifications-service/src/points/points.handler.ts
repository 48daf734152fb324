import { Injectable } from '@nestjs/common';
import { EventBus, EventHandler, Idempotent, type EventOf } from '@nestjs-events/core';
import { OrderCreated, PointsCredited } from '@sample/contracts';
import { PointsLedger } from './points.ledger';

/** 1 % of every order's amount, as loyalty points. */
export const POINTS_RATE = 0.01;

@Injectable()
export class PointsHandler {
  constructor(
    private readonly ledger: PointsLedger,
    private readonly bus: EventBus,
  ) {}

  // Crediting twice would be a real loss, so the key is the order, not the event: even a
  // producer that re-sends the order under a new event id cannot double the points.
  @Idempotent({ key: (event) => (event as EventOf<typeof OrderCreated>).data.orderId })
  @EventHandler(OrderCreated)
  async onOrderCreated(event: EventOf<typeof OrderCreated>): Promise<void> {
    const { userId, orderId, amount } = event.data;
    const points = Math.floor(amount * POINTS_RATE);
    this.ledger.credit(userId, points);
    await this.bus.publish(
      PointsCredited.create({ userId, orderId, points }, { aggregateId: userId }),
    );
  }
}
