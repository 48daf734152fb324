import { Injectable, Module, Scope, type ModuleMetadata } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { EventHandler } from '../decorators/event-handler.decorator';
import { Idempotent } from '../decorators/idempotent.decorator';
import { EventHandlerExplorer, type FoundHandler } from './event-handler.explorer';

async function explore(metadata: ModuleMetadata): Promise<FoundHandler[]> {
  const moduleRef = await Test.createTestingModule({
    ...metadata,
    imports: [DiscoveryModule, ...(metadata.imports ?? [])],
    providers: [EventHandlerExplorer, ...(metadata.providers ?? [])],
  }).compile();
  try {
    return moduleRef.get(EventHandlerExplorer).explore();
  } finally {
    await moduleRef.close();
  }
}

function listenerIn(moduleName: string) {
  // A class per call: same name, different class objects, as in two unrelated modules.
  @Injectable()
  class Listener {
    @EventHandler('thing.happened')
    handle() {}
  }
  @Module({ providers: [Listener] })
  class Host {}
  Object.defineProperty(Host, 'name', { value: moduleName });
  return { Listener, Host };
}

describe('EventHandlerExplorer', () => {
  it('returns each decorated method with its class, instance and metadata', async () => {
    @Injectable()
    class Points {
      @Idempotent({ ttlMs: 5 })
      @EventHandler('thing.noted', { queue: 'q' })
      @EventHandler('thing.happened')
      credit() {}
      notAHandler() {}
    }
    const [found, ...rest] = await explore({ providers: [Points] });
    expect(rest).toHaveLength(0);
    expect(found).toMatchObject({
      type: Points,
      methodName: 'credit',
      name: 'Points.credit',
      idempotent: { ttlMs: 5 },
    });
    expect(found.instance).toBeInstanceOf(Points);
    // Decorators apply bottom-up: the entry written last is the one on top.
    expect(found.entries.map((entry) => entry.events)).toEqual([
      ['thing.happened'],
      ['thing.noted'],
    ]);
    expect(found.entries[1].options).toEqual({ queue: 'q' });
  });

  it('returns a request-scoped handler as its wrapper, without an instance', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class PerEvent {
      @EventHandler('thing.happened')
      handle() {}
    }
    const [found] = await explore({ providers: [PerEvent] });
    expect(found).toMatchObject({ type: PerEvent, name: 'PerEvent.handle', instance: undefined });
    expect(found.wrapper.metatype).toBe(PerEvent);
    expect(found.idempotent).toBeUndefined();
  });

  it('finds an aliased provider once', async () => {
    @Injectable()
    class Once {
      @EventHandler('thing.happened')
      handle() {}
    }
    const found = await explore({ providers: [Once, { provide: 'ALIAS', useExisting: Once }] });
    expect(found.map((handler) => handler.name)).toEqual(['Once.handle']);
  });

  it('keeps two different classes of one name apart, suffixing the later with its module', async () => {
    const first = listenerIn('FirstModule');
    const second = listenerIn('SecondModule');
    const found = await explore({ imports: [first.Host, second.Host] });
    expect(found.map(({ type, name }) => [type, name])).toEqual([
      [first.Listener, 'Listener.handle'],
      [second.Listener, 'Listener.handle@SecondModule'],
    ]);
  });

  it('numbers classes of one name that clash within one module too', async () => {
    const classes = [1, 2, 3].map(() => listenerIn('Unused').Listener);
    const found = await explore({ providers: classes });
    expect(found.map((handler) => handler.name)).toEqual([
      'Listener.handle',
      `Listener.handle@${found[1].wrapper.host!.name}`,
      `Listener.handle@${found[1].wrapper.host!.name}(2)`,
    ]);
    expect(new Set(found.map((handler) => handler.type)).size).toBe(3);
  });

  it('refuses one class provided twice, as every event would be handled twice', async () => {
    const { Listener } = listenerIn('Unused');
    await expect(
      explore({ providers: [Listener, { provide: 'AGAIN', useClass: Listener }] }),
    ).rejects.toThrow(/Listener\.handle is registered twice/);
  });

  it('refuses one class provided in two modules', async () => {
    const { Listener } = listenerIn('Unused');
    @Module({ providers: [Listener] })
    class First {}
    @Module({ providers: [Listener] })
    class Second {}
    await expect(explore({ imports: [First, Second] })).rejects.toThrow(
      /Listener\.handle is registered twice \(in (First and Second|Second and First)\)/,
    );
  });
});
