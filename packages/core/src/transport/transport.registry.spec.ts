import { EventsConfigurationError } from '../errors/events-configuration.error';
import type { Transport } from './transport.interface';
import { TransportRegistry } from './transport.registry';
import { MAX_CACHED_TYPES } from '../utils/cache-limits';

function transport(name: string): Transport {
  return {
    name,
    publish: () => Promise.resolve(),
    subscribe: () => undefined,
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    health: () => ({ status: 'up' }),
  };
}

describe('TransportRegistry', () => {
  const memory = transport('memory');
  const sns = transport('sns');
  const bridge = transport('eventbridge');

  it('publishes everything through the first transport without routes', () => {
    const registry = new TransportRegistry([memory, sns]);
    expect(registry.default).toBe(memory);
    expect(registry.forType('order.created')).toBe(memory);
    expect(registry.transports).toEqual([memory, sns]);
  });

  it('routes exact types, then wildcards, then falls back to the default', () => {
    const registry = new TransportRegistry([memory, sns, bridge], {
      'order.*': 'sns',
      'order.created': 'eventbridge',
      'billing.**': 'eventbridge',
    });
    expect(registry.forType('order.created')).toBe(bridge);
    expect(registry.forType('order.cancelled')).toBe(sns);
    expect(registry.forType('order.created.v2')).toBe(memory);
    expect(registry.forType('billing')).toBe(bridge);
    expect(registry.forType('billing.invoice.paid')).toBe(bridge);
    expect(registry.forType('user.created')).toBe(memory);
  });

  it('keeps the routes of a bounded number of types, and routes the others alike', () => {
    const registry = new TransportRegistry([memory, sns], { 'order.*': 'sns' });
    const types = Array.from({ length: MAX_CACHED_TYPES + 100 }, (_, i) => `order.kind-${i}`);
    for (const type of types) expect(registry.forType(type)).toBe(sns);
    expect(registry.forType('user.created')).toBe(memory);
    expect((registry as unknown as { resolved: Map<string, Transport> }).resolved.size).toBe(
      MAX_CACHED_TYPES,
    );
  });

  it('prefers an exact route whatever the order of the routes', () => {
    const registry = new TransportRegistry([memory, sns, bridge], {
      'order.created': 'eventbridge',
      'order.*': 'sns',
    });
    expect(registry.forType('order.created')).toBe(bridge);
  });

  it('uses the first wildcard route that matches', () => {
    const registry = new TransportRegistry([memory, sns, bridge], {
      'order.*': 'sns',
      '*.created': 'eventbridge',
    });
    expect(registry.forType('order.created')).toBe(sns);
    expect(registry.forType('user.created')).toBe(bridge);
  });

  it('can route a type to the default transport explicitly', () => {
    const registry = new TransportRegistry([memory, sns], {
      'order.*': 'sns',
      'order.created': 'memory',
    });
    expect(registry.forType('order.created')).toBe(memory);
  });

  it('answers the same for repeated look-ups', () => {
    const registry = new TransportRegistry([memory, sns], { 'order.*': 'sns' });
    expect(registry.forType('order.created')).toBe(sns);
    expect(registry.forType('order.created')).toBe(sns);
    expect(registry.forType('user.created')).toBe(memory);
    expect(registry.forType('user.created')).toBe(memory);
  });

  it('finds transports by name', () => {
    const registry = new TransportRegistry([memory, sns]);
    expect(registry.get('sns', 'test')).toBe(sns);
  });

  it('names the asker and lists the known transports for an unknown name', () => {
    const registry = new TransportRegistry([memory, sns]);
    expect(() => registry.get('kafka', 'Handler A.b')).toThrow(EventsConfigurationError);
    expect(() => registry.get('kafka', 'Handler A.b')).toThrow(
      'Handler A.b: no transport is named "kafka". Known transports: "memory", "sns".',
    );
  });

  it('refuses a route to an unknown transport', () => {
    const create = () => new TransportRegistry([memory, sns], { 'order.*': 'kafka' });
    expect(create).toThrow(EventsConfigurationError);
    expect(create).toThrow(
      'routes["order.*"]: no transport is named "kafka". Known transports: "memory", "sns".',
    );
  });

  it('refuses a route with an invalid selector', () => {
    expect(() => new TransportRegistry([memory], { 'order..created': 'memory' })).toThrow(
      EventsConfigurationError,
    );
    expect(() => new TransportRegistry([memory], { 'order.cre*': 'memory' })).toThrow(
      EventsConfigurationError,
    );
  });

  it('refuses two transports with the same name', () => {
    const create = () => new TransportRegistry([memory, sns, transport('memory')]);
    expect(create).toThrow(EventsConfigurationError);
    expect(create).toThrow('EventsModule: two transports are named "memory".');
  });

  it('refuses an empty list of transports', () => {
    const create = () => new TransportRegistry([]);
    expect(create).toThrow(EventsConfigurationError);
    expect(create).toThrow('EventsModule: "transports" is empty.');
  });
});
