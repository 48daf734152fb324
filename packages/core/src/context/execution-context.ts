import type { ArgumentsHost, ExecutionContext } from '@nestjs/common';
import { EVENTS_CONTEXT_TYPE } from '../events.constants';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';

/**
 * Whether a guard, interceptor, pipe or filter runs for an event handler rather than an HTTP
 * route, an RPC or a WebSocket message: a global HTTP guard can let events through with it.
 */
export function isEventContext(context: ExecutionContext | ArgumentsHost): boolean {
  return context.getType<string>() === EVENTS_CONTEXT_TYPE;
}

/** The event being handled, in an enhancer of an event handler; `undefined` anywhere else. */
export function eventOf(context: ExecutionContext | ArgumentsHost): EventEnvelope | undefined {
  return isEventContext(context) ? context.getArgByIndex<EventEnvelope>(0) : undefined;
}
