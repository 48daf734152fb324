import type { PipeTransform, Type } from '@nestjs/common';
import { EVENT_HANDLER_ARGS_METADATA } from '../events.constants';

/** @internal Kinds of handler parameters. */
export enum EventParamType {
  ENVELOPE = 0,
  DATA = 1,
}

type PipeLike = Type<PipeTransform> | PipeTransform;

function eventParamDecorator(type: EventParamType, property?: string, pipes: PipeLike[] = []) {
  return (target: object, key: string | symbol | undefined, index: number): void => {
    const args =
      (Reflect.getMetadata(EVENT_HANDLER_ARGS_METADATA, target.constructor, key!) as object) ?? {};
    Reflect.defineMetadata(
      EVENT_HANDLER_ARGS_METADATA,
      { ...args, [`${type}:${index}`]: { index, data: property, pipes } },
      target.constructor,
      key!,
    );
  };
}

/**
 * Injects the event's `data` (or one property of it) into a handler parameter; pipes given here,
 * or with `@UsePipes()`, transform it. Without parameter decorators a handler receives the whole
 * envelope as its first argument.
 */
export function EventData(property?: string, ...pipes: PipeLike[]): ParameterDecorator;
export function EventData(...pipes: PipeLike[]): ParameterDecorator;
export function EventData(first?: string | PipeLike, ...rest: PipeLike[]): ParameterDecorator {
  return typeof first === 'string' || first === undefined
    ? eventParamDecorator(EventParamType.DATA, first, rest)
    : eventParamDecorator(EventParamType.DATA, undefined, [first, ...rest]);
}

/** Injects the whole envelope (id, type, version, metadata, data) into a handler parameter. */
export function CurrentEvent(...pipes: PipeLike[]): ParameterDecorator {
  return eventParamDecorator(EventParamType.ENVELOPE, undefined, pipes);
}
