import { Injectable, Logger, Module, type OnModuleDestroy } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';

/**
 * Runs the drain when the application starts closing, before any other module's
 * `onModuleDestroy`: in-flight handlers finish while the providers they use (a database pool
 * closed in `onModuleDestroy`, say) are still open.
 *
 * Nest destroys modules from the root down (ascending distance) and global modules last, so the
 * global EventsModule would drain after every user module was destroyed. This provider lives in a
 * module of its own, which it places before the root module (distance 0) while the application is
 * built, before Nest orders the modules for the lifecycle hooks; it has no other hook, so being
 * initialised last changes nothing.
 */
@Injectable()
export class EventsDrain implements OnModuleDestroy {
  private readonly logger = new Logger('EventsModule');
  private drain: (() => Promise<void>) | undefined;

  constructor(modules: ModulesContainer) {
    const own = [...modules.values()].find((ref) => ref.metatype === EventsDrainModule);
    if (own) own.distance = 0;
    else this.logger.warn('Could not place the drain first: transports drain at shutdown instead');
  }

  /** @internal What to run first on close; EventsLifecycle registers its drain. */
  register(drain: () => Promise<void>): void {
    this.drain = drain;
  }

  async onModuleDestroy(): Promise<void> {
    await this.drain?.();
  }
}

/** @internal */
@Module({ providers: [EventsDrain], exports: [EventsDrain] })
export class EventsDrainModule {}
