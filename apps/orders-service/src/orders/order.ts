import { SALES_CHANNELS } from '@sample/contracts';
import { z } from 'zod';

export const PlaceOrderBody = z.object({
  userId: z.string().min(1),
  amount: z.number().int().positive(),
  currency: z.string().length(3).default('KRW'),
  channel: z.enum(SALES_CHANNELS).default('web'),
});
export type PlaceOrder = z.infer<typeof PlaceOrderBody>;

export interface Order extends PlaceOrder {
  readonly id: string;
  readonly createdAt: string;
}
