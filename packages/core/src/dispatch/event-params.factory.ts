import type { ParamData } from '@nestjs/common';
import { EventParamType } from '../decorators/event-params.decorator';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';

/** Resolves `@CurrentEvent()` and `@EventData()` from the arguments a handler is invoked with. */
export class EventParamsFactory {
  exchangeKeyForValue(type: number, data: ParamData, args: unknown[]): unknown {
    const event = args[0] as EventEnvelope;
    if (type === (EventParamType.ENVELOPE as number)) return event;
    const payload = event.data as Record<string, unknown> | undefined;
    return data === undefined || typeof data === 'object' ? payload : payload?.[data];
  }
}
