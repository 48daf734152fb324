import { Inject, Injectable } from '@nestjs/common';
import { EVENTS_MODULE_OPTIONS } from '../events-module.definition';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import type { EventsModuleOptions } from '../interfaces/events-module-options.interface';
import type { CreateEventOptions, EventDefinition } from './event-definition.interface';

/** Builds envelopes stamped with this service's `source`, ready for `EventBus.publish`. */
@Injectable()
export class EventFactory {
  constructor(@Inject(EVENTS_MODULE_OPTIONS) private readonly options: EventsModuleOptions) {}

  create<TType extends string, TData>(
    definition: EventDefinition<TType, TData>,
    data: TData,
    options?: CreateEventOptions,
  ): EventEnvelope<TData, TType> {
    return definition.create(data, { source: this.options.source, ...options });
  }
}
