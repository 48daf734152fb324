import { Injectable, Module } from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import { defineEvent } from '../definition/define-event';
import { EventHandler } from '../decorators/event-handler.decorator';
import { describeEventHandlers } from './describe-event-handlers';

const Created = defineEvent({
  type: 'order.created',
  version: 2,
  upcasters: { 1: (d: unknown) => d },
});

describe('describeEventHandlers', () => {
  it('describes the handlers of a preview context, whose providers were never built', async () => {
    const built = jest.fn();
    @Injectable()
    class Listener {
      constructor() {
        built();
      }
      @EventHandler('invoice.*', { transport: 'other' })
      @EventHandler(Created, { queue: 'orders', pattern: { data: { channel: ['web'] } } })
      handle() {}
    }
    @Module({ providers: [Listener] })
    class App {}

    const app = await NestFactory.createApplicationContext(App, {
      preview: true,
      abortOnError: false,
      logger: false,
    });
    try {
      const described = describeEventHandlers(app.get(ModulesContainer));
      expect(built).not.toHaveBeenCalled();
      expect(described).toEqual([
        {
          handler: 'Listener.handle#1',
          eventTypes: ['order.created'],
          queue: 'orders',
          transport: undefined,
          filterPattern: { data: { channel: ['web'] } },
          // On the published form the pattern holds for v2; v1 passes and is filtered once upcast.
          pattern: {
            $or: [
              { data: { channel: ['web'] }, version: [2] },
              { version: [{ numeric: ['<', 2] }] },
            ],
          },
          definitions: [Created],
        },
        {
          handler: 'Listener.handle#2',
          eventTypes: ['invoice.*'],
          queue: undefined,
          transport: 'other',
          filterPattern: undefined,
          pattern: undefined,
          definitions: [],
        },
      ]);
    } finally {
      await app.close();
    }
  });
});
