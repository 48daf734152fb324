import type { StandardSchemaV1 } from '@standard-schema/spec';
import { z } from 'zod';
import { runInHandlingContext } from '../context/event-context';
import { EventValidationError } from '../errors/event-validation.error';
import { MissingUpcasterError, UnsupportedEventVersionError } from '../errors/event-version.error';
import { EventsConfigurationError } from '../errors/events-configuration.error';
import { NonRetryableError } from '../errors/non-retryable.error';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import { defineEvent, definitionOf, isEventDefinition } from './define-event';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function envelope(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    id: 'e-1',
    type: 'order.created',
    version: 1,
    source: 'orders',
    occurredAt: '2024-01-01T00:00:00.000Z',
    data: {},
    metadata: { correlationId: 'c-1' },
    ...overrides,
  };
}

/** A hand-written asynchronous Standard Schema: `{ name: string, items: { sku: string }[] }`. */
function asyncSchema(): StandardSchemaV1<unknown, { name: string }> {
  return {
    '~standard': {
      version: 1,
      vendor: 'hand-written',
      validate: async (value) => {
        await Promise.resolve();
        const input = value as { name?: unknown; items?: Array<{ sku?: unknown }> };
        const issues: StandardSchemaV1.Issue[] = [];
        if (typeof input.name !== 'string') {
          issues.push({ message: 'name is required', path: [{ key: 'name' }] });
        }
        input.items?.forEach((item, index) => {
          if (typeof item.sku !== 'string') {
            issues.push({
              message: 'sku is required',
              path: [{ key: 'items' }, { key: index }, 'sku'],
            });
          }
        });
        if (issues.length) return { issues };
        return { value: { name: (input.name as string).toUpperCase() } };
      },
    },
  };
}

describe('defineEvent', () => {
  describe('config validation', () => {
    it.each([
      '',
      'order..created',
      '.order',
      'order.',
      'order created',
      'order.*',
      'ordér',
      42,
      undefined,
    ])('rejects the type %p, naming it', (type) => {
      const define = () => defineEvent({ type: type as string });
      expect(define).toThrow(EventsConfigurationError);
      expect(define).toThrow(`event type ${JSON.stringify(type)} is invalid`);
    });

    it('accepts dotted words of letters, digits, "-" and "_"', () => {
      for (const type of ['order', 'order.created', 'user-events.v2_beta.Created']) {
        expect(defineEvent({ type }).type).toBe(type);
      }
    });

    it('defaults the version to 1', () => {
      expect(defineEvent({ type: 'order.created' }).version).toBe(1);
    });

    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
      'rejects the version %p',
      (version) => {
        const define = () => defineEvent({ type: 'order.created', version });
        expect(define).toThrow(EventsConfigurationError);
        expect(define).toThrow(
          `defineEvent("order.created"): version must be a positive integer, got ${version}.`,
        );
      },
    );

    it.each([
      ['a plain object', { parse: () => ({}) }],
      ['a "~standard" without validate', { '~standard': { version: 1, vendor: 'x' } }],
      ['a function', () => true],
      ['null', null],
    ])('rejects a schema that is not a Standard Schema (%s)', (_, schema) => {
      const define = () => defineEvent({ type: 'order.created', schema: schema as never });
      expect(define).toThrow(EventsConfigurationError);
      expect(define).toThrow(/schema is not a Standard Schema validator/);
    });

    it.each(['0', '3', '-1', '1.5', 'abc'])('rejects upcasters[%s] for version 3', (key) => {
      const define = () =>
        defineEvent({
          type: 'order.created',
          version: 3,
          upcasters: { [key]: (data: unknown) => data } as never,
        });
      expect(define).toThrow(EventsConfigurationError);
      expect(define).toThrow(`upcasters[${key}] is out of range`);
      expect(define).toThrow('1 to 2');
    });

    it('rejects any upcaster on version 1', () => {
      expect(() =>
        defineEvent({ type: 'order.created', upcasters: { 1: (data: unknown) => data } }),
      ).toThrow(/upcasters\[1\] is out of range/);
    });

    it('rejects upcasters that are not functions', () => {
      const define = () =>
        defineEvent({ type: 'order.created', version: 2, upcasters: { 1: 'nope' as never } });
      expect(define).toThrow(EventsConfigurationError);
      expect(define).toThrow('defineEvent("order.created"): upcasters[1] must be a function.');
    });

    it('is recognised by isEventDefinition', () => {
      expect(isEventDefinition(defineEvent({ type: 'order.created' }))).toBe(true);
      expect(isEventDefinition({ type: 'order.created', version: 1 })).toBe(false);
    });
  });

  describe('create()', () => {
    const OrderCreated = defineEvent<{ orderId: string }, 'order.created'>({
      type: 'order.created',
      version: 2,
      upcasters: { 1: (data: unknown) => data },
    });

    it('builds an envelope with a UUID v4 id, an ISO time and the definition type and version', () => {
      const before = Date.now();
      const event = OrderCreated.create({ orderId: 'o-1' });
      const after = Date.now();

      expect(event.id).toMatch(UUID_V4);
      expect(event.occurredAt).toMatch(ISO);
      const at = Date.parse(event.occurredAt);
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(after);
      expect(event).toMatchObject({ type: 'order.created', version: 2, data: { orderId: 'o-1' } });
    });

    it('generates a fresh id per event', () => {
      expect(OrderCreated.create({ orderId: 'o-1' }).id).not.toBe(
        OrderCreated.create({ orderId: 'o-1' }).id,
      );
    });

    it('defaults source to an empty string (the bus stamps it)', () => {
      expect(OrderCreated.create({ orderId: 'o-1' }).source).toBe('');
      expect(OrderCreated.create({ orderId: 'o-1' }, { source: 'orders' }).source).toBe('orders');
    });

    it('sets aggregateId only when given', () => {
      expect('aggregateId' in OrderCreated.create({ orderId: 'o-1' })).toBe(false);
      expect(OrderCreated.create({ orderId: 'o-1' }, { aggregateId: 'o-1' }).aggregateId).toBe(
        'o-1',
      );
    });

    it('starts a correlation with its own id outside a handler', () => {
      const event = OrderCreated.create({ orderId: 'o-1' });
      expect(event.metadata).toEqual({ correlationId: event.id });
    });

    it('inherits correlation and causation inside a handler', () => {
      const handled = envelope({ id: 'cause-1', metadata: { correlationId: 'flow-1' } });
      const event = runInHandlingContext({ event: handled, handler: 'A.b', attempt: 1 }, () =>
        OrderCreated.create({ orderId: 'o-1' }),
      );
      expect(event.metadata).toEqual({ correlationId: 'flow-1', causationId: 'cause-1' });
    });

    it('lets options override id, occurredAt and metadata', () => {
      const event = OrderCreated.create(
        { orderId: 'o-1' },
        {
          id: 'fixed-id',
          occurredAt: new Date('2024-05-06T07:08:09.010Z'),
          metadata: { correlationId: 'flow-9', causationId: 'cmd-1', tenant: 'acme' },
        },
      );
      expect(event).toMatchObject({
        id: 'fixed-id',
        occurredAt: '2024-05-06T07:08:09.010Z',
        metadata: { correlationId: 'flow-9', causationId: 'cmd-1', tenant: 'acme' },
      });
    });

    it('keeps an occurredAt string as given', () => {
      const event = OrderCreated.create({ orderId: 'o-1' }, { occurredAt: '2024-01-01T00:00:00Z' });
      expect(event.occurredAt).toBe('2024-01-01T00:00:00Z');
    });

    it('uses the given id as correlation when no correlation is given', () => {
      const event = OrderCreated.create({ orderId: 'o-1' }, { id: 'fixed-id' });
      expect(event.metadata.correlationId).toBe('fixed-id');
    });

    it('links the envelope to its definition without making it part of the payload', () => {
      const event = OrderCreated.create({ orderId: 'o-1' });
      expect(definitionOf(event)).toBe(OrderCreated);
      expect(Object.keys(event).sort()).toEqual([
        'data',
        'id',
        'metadata',
        'occurredAt',
        'source',
        'type',
        'version',
      ]);
      expect(JSON.parse(JSON.stringify(event))).toEqual({ ...event });
      expect(definitionOf(envelope())).toBeUndefined();
    });
  });

  describe('is()', () => {
    const OrderCreated = defineEvent({
      type: 'order.created',
      version: 2,
      upcasters: { 1: (d: unknown) => d },
    });

    it('is true for the same type and version only', () => {
      expect(OrderCreated.is(envelope({ version: 2 }))).toBe(true);
      expect(OrderCreated.is(envelope({ version: 1 }))).toBe(false);
      expect(OrderCreated.is(envelope({ type: 'order.cancelled', version: 2 }))).toBe(false);
    });
  });

  describe('upcast()', () => {
    const v1ToV2 = jest.fn((data: { amount: number }) => ({ ...data, currency: 'KRW' }));
    const v2ToV3 = jest.fn((data: { amount: number; currency: string }) => ({
      total: { amount: data.amount, currency: data.currency },
    }));
    const OrderCreated = defineEvent({
      type: 'order.created',
      version: 3,
      upcasters: { 1: v1ToV2, 2: v2ToV3 },
    });

    beforeEach(() => jest.clearAllMocks());

    it('lifts v1 to v3 through both upcasters, in order', () => {
      const old = envelope({ version: 1, data: { amount: 5 } });
      const lifted = OrderCreated.upcast(old);

      expect(lifted).toEqual({
        ...old,
        version: 3,
        data: { total: { amount: 5, currency: 'KRW' } },
      });
      expect(v1ToV2).toHaveBeenCalledWith({ amount: 5 }, old);
      expect(v2ToV3).toHaveBeenCalledWith({ amount: 5, currency: 'KRW' }, old);
      expect(v1ToV2.mock.invocationCallOrder[0]).toBeLessThan(v2ToV3.mock.invocationCallOrder[0]);
      expect(old).toMatchObject({ version: 1, data: { amount: 5 } });
    });

    it('lifts v2 with the last upcaster only', () => {
      const lifted = OrderCreated.upcast(
        envelope({ version: 2, data: { amount: 7, currency: 'EUR' } }),
      );
      expect(lifted.data).toEqual({ total: { amount: 7, currency: 'EUR' } });
      expect(v1ToV2).not.toHaveBeenCalled();
    });

    it('returns an event of the current version as is', () => {
      const current = envelope({ version: 3 });
      expect(OrderCreated.upcast(current)).toBe(current);
      expect(v1ToV2).not.toHaveBeenCalled();
      expect(v2ToV3).not.toHaveBeenCalled();
    });

    it('refuses a newer version with UnsupportedEventVersionError', () => {
      const upcast = () => OrderCreated.upcast(envelope({ version: 4 }));
      expect(upcast).toThrow(UnsupportedEventVersionError);
      try {
        upcast();
      } catch (error) {
        expect(error).toBeInstanceOf(NonRetryableError);
        expect(error).toMatchObject({
          name: 'UnsupportedEventVersionError',
          eventType: 'order.created',
          receivedVersion: 4,
          knownVersion: 3,
        });
        expect((error as Error).message).toBe(
          'Received "order.created" v4, but this consumer knows it only up to v3. Deploy the ' +
            'consumer with the v4 definition before producers publish it.',
        );
      }
    });

    it('reports a gap in the chain with MissingUpcasterError', () => {
      const Gapped = defineEvent({ type: 'order.created', version: 3, upcasters: { 1: v1ToV2 } });
      const upcast = () => Gapped.upcast(envelope({ version: 1, data: { amount: 1 } }));
      expect(upcast).toThrow(MissingUpcasterError);
      expect(upcast).toThrow(
        'Cannot read "order.created" v2 as v3: no upcaster from v2. Add upcasters[2] to the ' +
          'defineEvent() of "order.created".',
      );
      try {
        upcast();
      } catch (error) {
        expect(error).toMatchObject({ name: 'MissingUpcasterError', fromVersion: 2, toVersion: 3 });
      }
    });

    it('reports a missing first upcaster', () => {
      const Gapped = defineEvent({ type: 'order.created', version: 3, upcasters: { 2: v2ToV3 } });
      expect(() => Gapped.upcast(envelope({ version: 1 }))).toThrow(
        expect.objectContaining({ name: 'MissingUpcasterError', fromVersion: 1 }),
      );
      expect(v2ToV3).not.toHaveBeenCalled();
    });
  });

  describe('validate()', () => {
    it('returns the data unchanged without a schema', () => {
      const data = { anything: true };
      expect(defineEvent({ type: 'order.created' }).validate(data)).toBe(data);
    });

    describe('with zod (synchronous)', () => {
      const OrderCreated = defineEvent({
        type: 'order.created',
        version: 2,
        schema: z.object({
          orderId: z.string(),
          amount: z.coerce.number(),
          items: z.array(z.object({ sku: z.string() })).default([]),
        }),
        upcasters: { 1: (d: unknown) => d },
      });

      it('returns the schema output synchronously', () => {
        const result = OrderCreated.validate({ orderId: 'o-1', amount: '12' });
        expect(result).not.toBeInstanceOf(Promise);
        expect(result).toEqual({ orderId: 'o-1', amount: 12, items: [] });
      });

      it('throws EventValidationError listing every failing path', () => {
        const validate = () =>
          OrderCreated.validate({ orderId: 5, amount: 1, items: [{ sku: 'a' }, { sku: 7 }] });
        expect(validate).toThrow(EventValidationError);
        try {
          void validate();
        } catch (error) {
          const validation = error as EventValidationError;
          expect(validation).toBeInstanceOf(NonRetryableError);
          expect(validation.name).toBe('EventValidationError');
          expect(validation.eventType).toBe('order.created');
          expect(validation.version).toBe(2);
          expect(validation.issues.map((issue) => issue.path)).toEqual(['orderId', 'items.1.sku']);
          expect(validation.message).toMatch(
            /^Event "order\.created" v2 has invalid data: orderId: /,
          );
          expect(validation.message).toContain('; items.1.sku: ');
          expect(validation.message).toMatch(/Fix the data given to the definition/);
        }
      });

      it('names the root when the whole payload is wrong', () => {
        expect(() => OrderCreated.validate('not an object')).toThrow(
          /has invalid data: \(root\): /,
        );
      });
    });

    describe('with an asynchronous Standard Schema', () => {
      const Named = defineEvent({ type: 'user.named', schema: asyncSchema() });

      it('returns a promise of the schema output', async () => {
        const result = Named.validate({ name: 'ada' });
        expect(result).toBeInstanceOf(Promise);
        await expect(result).resolves.toEqual({ name: 'ADA' });
      });

      it('rejects with issues whose {key} path segments are formatted as dotted paths', async () => {
        const result = Named.validate({ items: [{ sku: 'a' }, {}] });
        await expect(result).rejects.toBeInstanceOf(EventValidationError);
        await expect(result).rejects.toMatchObject({
          eventType: 'user.named',
          version: 1,
          issues: [
            { path: 'name', message: 'name is required' },
            { path: 'items.1.sku', message: 'sku is required' },
          ],
        });
        await expect(result).rejects.toThrow(
          'Event "user.named" v1 has invalid data: name: name is required; items.1.sku: sku is ' +
            'required. Fix the data given to the definition, or the schema in defineEvent().',
        );
      });
    });
  });
});
