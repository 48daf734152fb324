import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { EventsHealthIndicator } from './events-health.indicator';

/**
 * Provides `EventsHealthIndicator`. The transports come from `EventsModule`, which is global by
 * default; with `isGlobal: false`, this module cannot see them: list `EventsHealthIndicator` in
 * the providers of a module that imports `EventsModule` and `TerminusModule` instead.
 *
 * ```ts
 * @Module({
 *   imports: [EventsModule.forRoot({ source: 'orders' }), TerminusModule, EventsHealthModule],
 *   controllers: [HealthController],
 * })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [TerminusModule],
  providers: [EventsHealthIndicator],
  exports: [EventsHealthIndicator],
})
export class EventsHealthModule {}
