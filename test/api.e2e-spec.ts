import { Injectable, type PipeTransform } from '@nestjs/common';
import { EventBus, EventData, EventHandler } from '@nestjs-events/core';
import { ThingHappened } from './fixtures/events';
import { createTestApp, type TestApp } from './fixtures/create-app';

let current: TestApp | undefined;
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});
async function boot(...args: Parameters<typeof createTestApp>): Promise<TestApp> {
  current = await createTestApp(...args);
  return current;
}

describe('pipe classes on handler parameters', () => {
  class UpperPipe implements PipeTransform {
    transform(value: string) {
      return value.toUpperCase();
    }
  }

  @Injectable()
  class Prefix {
    readonly value = 'pre-';
  }

  @Injectable()
  class PrefixPipe implements PipeTransform {
    constructor(private readonly prefix: Prefix) {}
    transform(value: string) {
      return this.prefix.value + value;
    }
  }

  @Injectable()
  class Names {
    readonly seen: Array<[string, string, string]> = [];
    @EventHandler(ThingHappened)
    onThing(
      @EventData('name', UpperPipe) upper: string,
      @EventData('name', PrefixPipe) prefixed: string,
      @EventData('name', UpperPipe, PrefixPipe) both: string,
    ) {
      this.seen.push([upper, prefixed, both]);
    }
  }

  it('builds them in the handler module, with their dependencies, and applies them', async () => {
    const { app, probe } = await boot({ providers: [Names, Prefix] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'abc', size: 1 }));
    await probe.waitFor('thing.happened');
    expect(app.get(Names).seen).toEqual([['ABC', 'pre-abc', 'pre-ABC']]);
  });

  it('fails the bootstrap, naming the handler and the pipe, when a dependency is missing', async () => {
    await expect(createTestApp({ providers: [Names] })).rejects.toThrow(
      /Names\.onThing: the pipe PrefixPipe of a parameter could not be created/,
    );
  });
});
