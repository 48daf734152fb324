import {
  Catch,
  Injectable,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
  type CanActivate,
  type ArgumentMetadata,
  type CallHandler,
  type ExceptionFilter,
  type ExecutionContext,
  type NestInterceptor,
  type PipeTransform,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import {
  EventBus,
  EventData,
  EventHandler,
  EVENTS_CONTEXT_TYPE,
  type EventEnvelope,
} from '@nestjs-events/core';
import { catchError, EMPTY, finalize, interval, map, of, take, tap, throwError, timer } from 'rxjs';
import { bootEachTest } from './fixtures/create-app';
import { ThingHappened } from './fixtures/events';

const boot = bootEachTest();
const calls: string[] = [];
beforeEach(() => (calls.length = 0));

/** An interceptor that records when it runs, before and after the rest of the chain. */
function recording(name: string) {
  @Injectable()
  class Recording implements NestInterceptor {
    intercept(_context: ExecutionContext, next: CallHandler) {
      calls.push(`${name}:before`);
      return next.handle().pipe(tap(() => calls.push(`${name}:after`)));
    }
  }
  return Recording;
}
const Outer = recording('outer');
const Inner = recording('inner');

@Injectable()
class ContextRecorder implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    const [event] = context.getArgs<[EventEnvelope]>();
    calls.push(
      `${context.getType()}|${context.getClass().name}.${context.getHandler().name}|${event.type}`,
    );
    return next.handle();
  }
}

/** Turns a handler error into a value before any exception filter sees it. */
@Injectable()
class Recovering implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle().pipe(
      catchError((error: Error) => {
        calls.push(`interceptor caught:${error.message}`);
        return of('recovered');
      }),
    );
  }
}

@Injectable()
class Swallowing implements NestInterceptor {
  intercept() {
    calls.push('swallowed');
    return EMPTY;
  }
}

@Injectable()
class Throwing implements NestInterceptor {
  intercept(): never {
    throw new Error('interceptor broke');
  }
}

@Injectable()
class NotObservable implements NestInterceptor {
  intercept() {
    return 'a value' as never;
  }
}

@Injectable()
class Later implements NestInterceptor {
  async intercept(_context: ExecutionContext, next: CallHandler) {
    await Promise.resolve();
    calls.push('async interceptor');
    return next.handle();
  }
}

@Catch()
class Recover implements ExceptionFilter {
  catch(error: Error) {
    calls.push(`filter:${error.message}`);
    return 'filtered';
  }
}

@Injectable()
class Doubling implements PipeTransform<number, number> {
  transform(value: number, metadata: ArgumentMetadata) {
    calls.push(`pipe:${metadata.data}`);
    return value * 2;
  }
}

/** Records the error and lets it through: the run fails with it. */
@Catch()
class Rethrowing implements ExceptionFilter {
  catch(error: Error) {
    calls.push(`filter:${error.message}`);
    throw error;
  }
}

const once = { retry: { maxAttempts: 1 } };

@Injectable()
class Handlers {
  @UseInterceptors(Outer, Inner)
  @EventHandler(ThingHappened)
  ordered() {
    calls.push('handler');
  }
}

describe('Nest enhancers around event handlers', () => {
  it('runs interceptors outermost first before the handler and innermost first after it', async () => {
    const { app, probe } = await boot({ providers: [Handlers] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
    await probe.waitFor('thing.happened');
    expect(calls).toEqual([
      'outer:before',
      'inner:before',
      'handler',
      'inner:after',
      'outer:after',
    ]);
  });

  it('gives interceptors the event, the class, the method and the context type', async () => {
    @Injectable()
    class Seen {
      @UseInterceptors(ContextRecorder)
      @EventHandler(ThingHappened)
      look() {}
    }
    const { app, probe } = await boot({ providers: [Seen] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
    await probe.waitFor('thing.happened');
    expect(calls).toEqual([`${EVENTS_CONTEXT_TYPE}|Seen.look|thing.happened`]);
  });

  it("lets an interceptor's catchError see the handler's error before the filters do", async () => {
    @Injectable()
    class Failing {
      @UseFilters(Recover)
      @UseInterceptors(Recovering)
      @EventHandler(ThingHappened, once)
      fail() {
        throw new Error('handler broke');
      }
    }
    const { app, probe } = await boot({ providers: [Failing] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
    await probe.waitFor('thing.happened');
    expect(calls).toEqual(['interceptor caught:handler broke']);
  });

  it.each([
    ["an interceptor's own error", Throwing, 'filter:interceptor broke'],
    [
      "an interceptor's answer that is not an observable",
      NotObservable,
      expect.stringMatching(/^filter:.*subscribe/),
    ],
  ])("sends %s to the handler's exception filters", async (_what, interceptor, filtered) => {
    @Injectable()
    class Broken {
      @UseFilters(Recover)
      @UseInterceptors(interceptor)
      @EventHandler(ThingHappened, once)
      never() {
        calls.push('handler');
      }
    }
    const { app, probe } = await boot({ providers: [Broken] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
    await probe.waitFor('thing.happened');
    expect(calls).toEqual([filtered]);
  });

  it('hands a failure to the filters once, however late it comes', async () => {
    @Injectable()
    class FailsLater implements NestInterceptor {
      intercept(_context: ExecutionContext, next: CallHandler) {
        return next.handle().pipe(
          map(() => {
            throw new Error('after the handler');
          }),
        );
      }
    }
    @Injectable()
    class RejectingGuard implements CanActivate {
      async canActivate(): Promise<boolean> {
        await Promise.resolve();
        throw new Error('guard broke');
      }
    }
    @Injectable()
    class Failing {
      @UseFilters(Rethrowing)
      @UseInterceptors(FailsLater)
      @EventHandler(ThingHappened, once)
      intercepted() {
        calls.push('handler');
      }

      @UseFilters(Rethrowing)
      @UseGuards(RejectingGuard)
      @UseInterceptors(FailsLater)
      @EventHandler(ThingHappened, once)
      guarded() {
        calls.push('guarded handler');
      }

      @UseFilters(Rethrowing)
      @EventHandler(ThingHappened, once)
      async plain() {
        await Promise.resolve();
        throw new Error('plain handler');
      }
    }
    const { app, probe } = await boot({ providers: [Failing, RejectingGuard] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
    const dead = await Promise.all([
      probe.waitForDeadLetter('thing.happened', (_event, n) => n.handler === 'Failing.intercepted'),
      probe.waitForDeadLetter('thing.happened', (_event, n) => n.handler === 'Failing.guarded'),
      probe.waitForDeadLetter('thing.happened', (_event, n) => n.handler === 'Failing.plain'),
    ]);
    expect(dead.map((letter) => (letter.error as Error).message)).toEqual([
      'after the handler',
      'guard broke',
      'plain handler',
    ]);
    expect([...calls].sort()).toEqual([
      'filter:after the handler',
      'filter:guard broke',
      'filter:plain handler',
      'handler',
    ]);
  });

  it('fails the attempt when an interceptor completes without a value', async () => {
    @Injectable()
    class Swallowed {
      @UseInterceptors(Swallowing)
      @EventHandler(ThingHappened, once)
      never() {
        calls.push('handler');
      }
    }
    const { app, probe } = await boot({ providers: [Swallowed] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
    const dead = await probe.waitForDeadLetter('thing.happened');
    expect(dead.error).toMatchObject({ name: 'EmptyError' });
    expect(calls).toEqual(['swallowed']);
  });

  it('waits for an interceptor whose intercept() is async', async () => {
    @Injectable()
    class Awaited {
      @UseInterceptors(Later)
      @EventHandler(ThingHappened)
      run() {
        calls.push('handler');
      }
    }
    const { app, probe } = await boot({ providers: [Awaited] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
    await probe.waitFor('thing.happened');
    expect(calls).toEqual(['async interceptor', 'handler']);
  });

  it('runs parameter pipes inside the interceptors, with the global interceptors outermost', async () => {
    const seen: number[] = [];
    @Injectable()
    class Piped {
      @UseInterceptors(Inner)
      @EventHandler(ThingHappened)
      run(@EventData('size', Doubling) size: number) {
        seen.push(size);
        calls.push('handler');
      }
    }
    const { app, probe } = await boot({
      providers: [Piped, { provide: APP_INTERCEPTOR, useClass: Outer }],
    });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 21 }));
    await probe.waitFor('thing.happened');
    expect(seen).toEqual([42]);
    expect(calls).toEqual([
      'outer:before',
      'inner:before',
      'pipe:size',
      'handler',
      'inner:after',
      'outer:after',
    ]);
  });

  it('applies handler pipes before the parameter pipes, with the metadata Nest gives them', async () => {
    const seen: unknown[] = [];
    @Injectable()
    class Recording implements PipeTransform {
      transform(value: unknown, metadata: ArgumentMetadata) {
        calls.push(`handler pipe:${metadata.type}:${metadata.data}:${metadata.metatype?.name}`);
        return value;
      }
    }
    @Injectable()
    class Asynchronous implements PipeTransform<number, Promise<number>> {
      async transform(value: number) {
        await Promise.resolve();
        calls.push('async pipe');
        return value + 1;
      }
    }
    @Injectable()
    class Piped {
      @UsePipes(Recording)
      @EventHandler(ThingHappened)
      run(
        @EventData('size', Asynchronous, Doubling) size: number,
        @EventData('name') name: string,
      ) {
        seen.push(size, name);
      }
    }
    const { app, probe } = await boot({ providers: [Piped] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'n', size: 1 }));
    await probe.waitFor('thing.happened');
    expect(seen).toEqual([4, 'n']);
    expect(calls).toEqual([
      expect.stringMatching(/^handler pipe:custom:(size:Number|name:String)$/),
      expect.stringMatching(/^handler pipe:custom:(size:Number|name:String)$/),
      'async pipe',
      'pipe:size',
    ]);
  });

  it("waits for an async pipe on a handler's only parameter, and filters its rejection", async () => {
    @Injectable()
    class Halving implements PipeTransform<number, Promise<number>> {
      async transform(value: number) {
        await Promise.resolve();
        if (value % 2) throw new Error(`cannot halve ${value}`);
        return value / 2;
      }
    }
    @Injectable()
    class Piped {
      @UseFilters(Recover)
      @EventHandler(ThingHappened, once)
      run(@EventData('size', Halving, Doubling) size: number) {
        calls.push(`handler:${size}`);
      }
    }
    const { app, probe } = await boot({ providers: [Piped] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'even', size: 10 }));
    await probe.waitFor('thing.happened');
    await app.get(EventBus).publish(ThingHappened.create({ name: 'odd', size: 3 }));
    await probe.waitFor(
      'thing.happened',
      (event) => (event.data as { name: string }).name === 'odd',
    );
    expect(calls).toEqual(['pipe:size', 'handler:10', 'filter:cannot halve 3']);
  });

  it("sends a pipe's error to the exception filters", async () => {
    @Injectable()
    class Refusing implements PipeTransform {
      transform(): never {
        throw new Error('pipe refused');
      }
    }
    @Injectable()
    class Piped {
      @UseFilters(Recover)
      @EventHandler(ThingHappened, once)
      run(@EventData(Refusing) data: unknown) {
        calls.push(`handler:${String(data)}`);
      }
    }
    const { app, probe } = await boot({ providers: [Piped] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'n', size: 1 }));
    await probe.waitFor('thing.happened');
    expect(calls).toEqual(['filter:pipe refused']);
  });

  it('waits for guards that answer with a promise or an observable, in order', async () => {
    @Injectable()
    class Slowly implements CanActivate {
      async canActivate() {
        await Promise.resolve();
        calls.push('promise guard');
        return true;
      }
    }
    @Injectable()
    class Observed implements CanActivate {
      canActivate() {
        calls.push('observable guard');
        return timer(1).pipe(map(() => false));
      }
    }
    @Injectable()
    class Guarded {
      @UseGuards(Slowly, Observed)
      @EventHandler(ThingHappened)
      run() {
        calls.push('handler');
      }
    }
    const { app, probe } = await boot({ providers: [Guarded, Slowly, Observed] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'n', size: 1 }));
    const skipped = await probe.waitForSkipped('thing.happened');
    expect(skipped.reason).toBe('guard');
    expect(calls).toEqual(['promise guard', 'observable guard']);
  });

  it('flattens a handler that returns an observable into its last value', async () => {
    @Injectable()
    class Streaming {
      @UseInterceptors(Recovering)
      @EventHandler(ThingHappened, once)
      run() {
        return timer(1).pipe(
          map(() => {
            throw new Error('late failure');
          }),
        );
      }
    }
    const { app, probe } = await boot({ providers: [Streaming] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'n', size: 1 }));
    await probe.waitFor('thing.happened');
    expect(calls).toEqual(['interceptor caught:late failure']);
  });

  it("ends the handler's observable when an interceptor stops listening to it", async () => {
    @Injectable()
    class FirstOnly implements NestInterceptor {
      intercept(_context: ExecutionContext, next: CallHandler) {
        return next.handle().pipe(take(1));
      }
    }
    @Injectable()
    class Ticking {
      @UseInterceptors(FirstOnly)
      @EventHandler(ThingHappened, once)
      run() {
        return interval(1).pipe(
          tap((tick) => calls.push(`tick ${tick}`)),
          finalize(() => calls.push('ended')),
        );
      }
    }
    const { app, probe } = await boot({ providers: [Ticking] });
    await app.get(EventBus).publish(ThingHappened.create({ name: 'n', size: 1 }));
    await probe.waitFor('thing.happened');
    expect(calls).toEqual(['tick 0', 'ended']);
  });

  describe('an interceptor that hands back next.handle() as it is', () => {
    @Injectable()
    class PassThrough implements NestInterceptor {
      intercept(_context: ExecutionContext, next: CallHandler) {
        return next.handle();
      }
    }
    @Injectable()
    class Piping implements NestInterceptor {
      intercept(_context: ExecutionContext, next: CallHandler) {
        return next.handle().pipe(tap());
      }
    }

    it.each([
      [
        'throws',
        () => {
          throw new Error('at once');
        },
      ],
      [
        'rejects',
        async () => {
          await Promise.resolve();
          throw new Error('later');
        },
      ],
      [
        'returns an observable that fails',
        () =>
          timer(1).pipe(
            map(() => {
              throw new Error('in the stream');
            }),
          ),
      ],
      ['returns an observable without a value', () => EMPTY],
      [
        'resolves to an observable that fails',
        () => Promise.resolve(throwError(() => new Error('nested'))),
      ],
    ])('ends the run as one that pipes it does when the handler %s', async (_what, body) => {
      @Injectable()
      class Both {
        @UseFilters(Rethrowing)
        @UseInterceptors(PassThrough)
        @EventHandler(ThingHappened, once)
        passed() {
          return body();
        }

        @UseFilters(Rethrowing)
        @UseInterceptors(Piping)
        @EventHandler(ThingHappened, once)
        piped() {
          return body();
        }
      }
      const { app, probe } = await boot({ providers: [Both] });
      await app.get(EventBus).publish(ThingHappened.create({ name: 'n', size: 1 }));
      const [passed, piped] = await Promise.all(
        ['Both.passed', 'Both.piped'].map((name) =>
          probe.waitForDeadLetter('thing.happened', (_event, letter) => letter.handler === name),
        ),
      );
      const { name, message } = piped.error as Error;
      expect(passed.error).toMatchObject({ name, message });
      // The filters saw each failure once, whichever way the chain ran.
      expect(calls).toEqual([`filter:${message}`, `filter:${message}`]);
    });
  });
});
