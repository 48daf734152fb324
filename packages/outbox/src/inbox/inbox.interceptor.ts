import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { currentHandlingContext, isEventContext } from '@nestjs-events/core';
import { defer, lastValueFrom, type Observable } from 'rxjs';
import type { InboxStore } from './inbox-store.interface';
import type { InboxOptions } from './inbox.decorator';

export const INBOX_METADATA = Symbol('nestjs-events:inbox');

/** Applied by `@Inbox()`: runs the handler through the inbox store's `runOnce`. */
@Injectable()
export class InboxInterceptor implements NestInterceptor {
  private readonly stores = new Map<unknown, InboxStore>();

  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const handling = currentHandlingContext();
    const options = this.reflector.get<InboxOptions | undefined>(
      INBOX_METADATA,
      context.getHandler(),
    );
    if (!isEventContext(context) || !handling || !options) return next.handle();
    const store = this.resolve(options, handling.handler);
    const name = options.name ?? handling.handler;
    return defer(async () => {
      const outcome = await store.runOnce<unknown>(name, handling.event.id, () =>
        lastValueFrom(next.handle(), { defaultValue: undefined }),
      );
      if (!outcome.ran) {
        handling.skipped = 'duplicate';
        return undefined;
      }
      return outcome.result;
    });
  }

  private resolve(options: InboxOptions, handler: string): InboxStore {
    const known = this.stores.get(options.store);
    if (known) return known;
    const candidate = options.store as Partial<InboxStore>;
    const store =
      typeof candidate === 'object' && typeof candidate.runOnce === 'function'
        ? (candidate as InboxStore)
        : this.moduleRef.get<unknown, InboxStore | undefined>(options.store as never, {
            strict: false,
          });
    if (typeof store?.runOnce !== 'function') {
      throw new TypeError(
        `@Inbox() on ${handler}: the store resolved to something without runOnce(); pass an ` +
          'InboxStore (e.g. a PostgresOutboxStore) or the token of a provider that is one.',
      );
    }
    this.stores.set(options.store, store);
    return store;
  }
}
