import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { IDEMPOTENT_METADATA } from '../events.constants';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import type { IdempotencyOptions } from '../idempotency/idempotency-options.interface';

/**
 * Makes a handler apply each event once, even when the transport delivers it again: shorthand
 * for `@UseInterceptors(IdempotencyInterceptor)` with per-handler options.
 *
 * ```ts
 * @Idempotent({ key: (event) => event.data.orderId })
 * @EventHandler(OrderCreated)
 * creditPoints(event: EventOf<typeof OrderCreated>) { … }
 * ```
 */
export function Idempotent(options: IdempotencyOptions = {}): MethodDecorator {
  return applyDecorators(
    SetMetadata(IDEMPOTENT_METADATA, options),
    UseInterceptors(IdempotencyInterceptor),
  );
}
