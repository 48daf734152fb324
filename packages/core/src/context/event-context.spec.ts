import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import {
  currentHandlingContext,
  inheritMetadata,
  runInHandlingContext,
  runWithEventMetadata,
  type HandlingContext,
} from './event-context';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const OTHER_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function handled(metadata: EventEnvelope['metadata']): HandlingContext {
  return {
    event: {
      id: 'handled-1',
      type: 'order.created',
      version: 1,
      source: 'orders',
      occurredAt: '2024-01-01T00:00:00.000Z',
      data: {},
      metadata,
    },
    handler: 'Points.onOrderCreated',
    attempt: 1,
  };
}

describe('inheritMetadata', () => {
  describe('outside any context', () => {
    it('starts a correlation with the new event and sets nothing else', () => {
      expect(inheritMetadata('new-1', undefined)).toEqual({ correlationId: 'new-1' });
    });

    it('keeps what was given', () => {
      expect(
        inheritMetadata('new-1', {
          correlationId: 'flow-1',
          causationId: 'cmd-1',
          traceparent: TRACEPARENT,
          tracestate: 'vendor=1',
          tenant: 'acme',
        }),
      ).toEqual({
        correlationId: 'flow-1',
        causationId: 'cmd-1',
        traceparent: TRACEPARENT,
        tracestate: 'vendor=1',
        tenant: 'acme',
      });
    });

    it('has no handling context', () => {
      expect(currentHandlingContext()).toBeUndefined();
    });
  });

  describe('inside runInHandlingContext', () => {
    const context = handled({
      correlationId: 'flow-1',
      causationId: 'older',
      traceparent: TRACEPARENT,
      tracestate: 'vendor=1',
      tenant: 'acme',
    });

    it('inherits the correlation, takes the handled event as cause and carries the trace', () => {
      const metadata = runInHandlingContext(context, () => inheritMetadata('new-1', undefined));
      expect(metadata).toEqual({
        correlationId: 'flow-1',
        causationId: 'handled-1',
        traceparent: TRACEPARENT,
        tracestate: 'vendor=1',
      });
    });

    it('does not copy other metadata of the handled event', () => {
      const metadata = runInHandlingContext(context, () => inheritMetadata('new-1', undefined));
      expect(metadata).not.toHaveProperty('tenant');
    });

    it('survives awaits inside the handler', async () => {
      const metadata = await runInHandlingContext(context, async () => {
        await Promise.resolve();
        await new Promise((resolve) => setImmediate(resolve));
        return inheritMetadata('new-1', undefined);
      });
      expect(metadata).toMatchObject({ correlationId: 'flow-1', causationId: 'handled-1' });
    });

    it('exposes the handling context only inside', () => {
      expect(runInHandlingContext(context, () => currentHandlingContext())).toBe(context);
      expect(currentHandlingContext()).toBeUndefined();
    });

    it('lets explicit values win', () => {
      const metadata = runInHandlingContext(context, () =>
        inheritMetadata('new-1', {
          correlationId: 'mine',
          causationId: 'my-cause',
          traceparent: OTHER_TRACEPARENT,
          tracestate: 'other=2',
        }),
      );
      expect(metadata).toEqual({
        correlationId: 'mine',
        causationId: 'my-cause',
        traceparent: OTHER_TRACEPARENT,
        tracestate: 'other=2',
      });
    });

    it('does not pair an explicit traceparent with the inherited tracestate of another trace', () => {
      // tracestate belongs to the trace of its traceparent (W3C Trace Context, section 3.3).
      const metadata = runInHandlingContext(context, () =>
        inheritMetadata('new-1', { traceparent: OTHER_TRACEPARENT }),
      );
      expect(metadata.traceparent).toBe(OTHER_TRACEPARENT);
      expect(metadata).not.toHaveProperty('tracestate');
    });

    it('carries no tracestate without a traceparent', () => {
      const metadata = runInHandlingContext(
        handled({ correlationId: 'flow-1', tracestate: 'vendor=1' }),
        () => inheritMetadata('new-1', undefined),
      );
      expect(metadata).toEqual({ correlationId: 'flow-1', causationId: 'handled-1' });
    });

    it('falls back to the new event id when the handled event has no correlation', () => {
      const metadata = runInHandlingContext(handled({} as EventEnvelope['metadata']), () =>
        inheritMetadata('new-1', undefined),
      );
      expect(metadata).toEqual({ correlationId: 'new-1', causationId: 'handled-1' });
    });
  });

  describe('inside runWithEventMetadata', () => {
    const ambient = {
      correlationId: 'request-1',
      causationId: 'http-1',
      traceparent: TRACEPARENT,
      tracestate: 'vendor=1',
      userId: 'u-1',
    };

    it('inherits correlation, causation and trace', () => {
      const metadata = runWithEventMetadata(ambient, () => inheritMetadata('new-1', undefined));
      expect(metadata).toEqual({
        correlationId: 'request-1',
        causationId: 'http-1',
        traceparent: TRACEPARENT,
        tracestate: 'vendor=1',
      });
    });

    it('sets no causation when the ambient metadata has none', () => {
      const metadata = runWithEventMetadata({ correlationId: 'request-1' }, () =>
        inheritMetadata('new-1', undefined),
      );
      expect(metadata).toEqual({ correlationId: 'request-1' });
    });

    it('starts a correlation when the ambient metadata has none', () => {
      const metadata = runWithEventMetadata({ traceparent: TRACEPARENT }, () =>
        inheritMetadata('new-1', undefined),
      );
      expect(metadata).toEqual({ correlationId: 'new-1', traceparent: TRACEPARENT });
    });

    it('lets explicit values win', () => {
      const metadata = runWithEventMetadata(ambient, () =>
        inheritMetadata('new-1', { correlationId: 'mine', causationId: 'my-cause' }),
      );
      expect(metadata).toMatchObject({ correlationId: 'mine', causationId: 'my-cause' });
    });

    it('is not a handling context', () => {
      expect(runWithEventMetadata(ambient, () => currentHandlingContext())).toBeUndefined();
    });

    it('returns what fn returns and leaves nothing behind', async () => {
      await expect(runWithEventMetadata(ambient, () => Promise.resolve(42))).resolves.toBe(42);
      expect(inheritMetadata('new-2', undefined)).toEqual({ correlationId: 'new-2' });
    });
  });

  describe('nesting', () => {
    it('prefers the handled event over metadata set around the handler', () => {
      const metadata = runWithEventMetadata({ correlationId: 'request-1', causationId: 'x' }, () =>
        runInHandlingContext(handled({ correlationId: 'flow-1' }), () =>
          inheritMetadata('new-1', undefined),
        ),
      );
      expect(metadata).toEqual({ correlationId: 'flow-1', causationId: 'handled-1' });
    });
  });
});
