import { SetMetadata } from '@nestjs/common';
import { IDEMPOTENT_METADATA } from '../events.constants';
import type { IdempotencyOptions } from '../idempotency/idempotency-options.interface';

/**
 * Makes a handler apply each event once, even when the transport delivers it again: the key is
 * claimed in the module's `IdempotencyStore` before the handler runs (guards and interceptors
 * included), completed after, and released on failure so the retry runs.
 *
 * ```ts
 * @Idempotent({ key: (event) => event.data.orderId })
 * @EventHandler(OrderCreated)
 * creditPoints(event: EventOf<typeof OrderCreated>) { … }
 * ```
 */
export function Idempotent(options: IdempotencyOptions = {}): MethodDecorator {
  return SetMetadata(IDEMPOTENT_METADATA, options);
}
