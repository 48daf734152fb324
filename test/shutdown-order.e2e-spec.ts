import { Injectable, Module, type OnModuleDestroy } from '@nestjs/common';
import { EventBus, EventHandler } from '@nestjs-events/core';
import { createTestApp } from './fixtures/create-app';
import { ThingHappened } from './fixtures/events';
import { until } from './fixtures/until';

/** What happened, in order, across the handler and the providers it uses. */
let log: string[];

/** A connection pool closed when its module is destroyed, as TypeORM's or a pg Pool's would be. */
@Injectable()
class Pool implements OnModuleDestroy {
  open = true;
  query(): void {
    if (!this.open) throw new Error('pool is closed');
    log.push('query');
  }
  onModuleDestroy(): void {
    this.open = false;
    log.push('pool closed');
  }
}

@Module({ providers: [Pool], exports: [Pool] })
class DatabaseModule {}

@Injectable()
class SlowWriter {
  constructor(private readonly pool: Pool) {}

  @EventHandler(ThingHappened)
  async write(): Promise<void> {
    log.push('handler started');
    // Work that is still under way when the application starts closing.
    await new Promise((resolve) => setTimeout(resolve, 200));
    this.pool.query();
    log.push('handler done');
  }
}

describe('shutdown order', () => {
  beforeEach(() => {
    log = [];
  });

  it("drains in-flight handlers before any user module's onModuleDestroy", async () => {
    const { app, probe } = await createTestApp({
      imports: [DatabaseModule],
      providers: [SlowWriter],
    });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
    await until(() => log.includes('handler started'), 5_000, 'the handler to start');

    await app.close();

    expect(log).toEqual(['handler started', 'query', 'handler done', 'pool closed']);
    expect(probe.of('handled')).toHaveLength(1);
    expect(probe.of('retrying')).toHaveLength(0);
  });

  it('still destroys every module when nothing is in flight', async () => {
    const { app } = await createTestApp({ imports: [DatabaseModule], providers: [SlowWriter] });
    await app.close();
    expect(log).toEqual(['pool closed']);
  });
});
