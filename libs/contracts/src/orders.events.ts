import { defineEvent } from '@nestjs-events/core';
import { z } from 'zod';

/** Orders at or above this amount (in minor units) need a payment authorization. */
export const HIGH_VALUE_AMOUNT = 100_000;

const orderCreatedV1 = z.object({
  orderId: z.string().min(1),
  userId: z.string().min(1),
  /** Amount in minor units (KRW has none, so won). */
  amount: z.number().int().positive(),
});

/** v1, still published by the legacy checkout: no currency, no channel. */
export const OrderCreatedV1 = defineEvent({
  type: 'order.created',
  version: 1,
  schema: orderCreatedV1,
});

export const SALES_CHANNELS = ['web', 'mobile', 'store'] as const;

/** v2 adds the currency and the channel the order came through. */
export const OrderCreated = defineEvent({
  type: 'order.created',
  version: 2,
  schema: orderCreatedV1.extend({
    currency: z.string().length(3),
    channel: z.enum(SALES_CHANNELS),
  }),
  upcasters: {
    // The legacy checkout only ever sold on the web shop, in won.
    1: (v1: z.infer<typeof orderCreatedV1>) => ({ ...v1, currency: 'KRW', channel: 'web' }),
  },
});

export const PaymentAuthorized = defineEvent({
  type: 'payment.authorized',
  schema: z.object({
    orderId: z.string(),
    userId: z.string(),
    amount: z.number().int().positive(),
    currency: z.string().length(3),
    authorizationId: z.string(),
  }),
});

export const PointsCredited = defineEvent({
  type: 'points.credited',
  schema: z.object({
    userId: z.string(),
    orderId: z.string(),
    points: z.number().int().nonnegative(),
  }),
});
