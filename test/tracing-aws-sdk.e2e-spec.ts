import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { transformFileSync } from '@swc/core';
import { endpointOf, uniqueName, type Emulator } from './fixtures/aws';
import {
  AWS_SDK_SCOPE,
  REPORT_PREFIX,
  type CallRecord,
  type MessageRecord,
  type SpanRecord,
  type TraceReport,
} from './tracing-aws-sdk/report';
import { buildWorkspace } from './fixtures/build';

jest.setTimeout(120_000);

const root = join(__dirname, '..');
const OUT = join(__dirname, 'tracing-aws-sdk', 'dist');
/** The instrumented process and what it imports from test/, compiled as they are laid out. */
const SOURCES = [
  'tracing-aws-sdk/instrumentation.ts',
  'tracing-aws-sdk/report.ts',
  'tracing-aws-sdk/apps.main.ts',
  'fixtures/events.ts',
  'fixtures/until.ts',
];
const MAIN = join(OUT, 'tracing-aws-sdk', 'apps.main.js');
const OURS = '@nestjs-events/core';
const EVENT_ATTRIBUTES = [
  'aggregate-id',
  'correlation-id',
  'event-source',
  'event-type',
  'event-version',
];

// OpenTelemetry's instrumentations patch Node's own `require`, which Jest's module loader
// bypasses: the applications run in a plain Node.js process, from the packages' build output.
beforeAll(() => {
  buildWorkspace();
  for (const source of SOURCES) {
    const { code } = transformFileSync(join(__dirname, source), {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
    });
    const out = join(OUT, source.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, code);
  }
});

/** Runs the two applications in their own process and returns what it reports. */
async function runInstrumented(emulator: Emulator): Promise<TraceReport> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: root,
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: endpointOf(emulator),
      RUN_PREFIX: uniqueName('otel-sdk'),
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    // 'close', not 'exit': the report line must have been read to its end.
    new Promise<number | null>((resolve) => child.once('close', (exit) => resolve(exit))),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 90_000))),
  ]);
  clearTimeout(timer);
  if (code === 'timeout') child.kill('SIGKILL');
  const line = stdout.split('\n').find((l) => l.startsWith(REPORT_PREFIX));
  if (code !== 0 || !line) {
    throw new Error(`The instrumented process ended with ${code}:\n${stdout}\n${stderr}`);
  }
  return JSON.parse(line.slice(REPORT_PREFIX.length)) as TraceReport;
}

const traceparentOf = (span: SpanRecord) => `00-${span.traceId}-${span.spanId}-01`;
const traceIdOf = (traceparent: string | undefined) => traceparent?.split('-')[1];

const EMULATORS: readonly Emulator[] = ['fauxqs', 'moto'];

describe.each(EMULATORS)('tracing with the AWS SDK instrumentation over %s', (emulator) => {
  let report: TraceReport;
  let spans: readonly SpanRecord[];
  const ours = (name: string): SpanRecord => {
    const found = spans.filter((s) => s.scope === OURS && s.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const named = (name: string): SpanRecord => {
    const found = spans.filter((s) => s.scope === 'test-http' && s.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const sdkChildrenOf = (span: SpanRecord) =>
    spans.filter((s) => s.scope === AWS_SDK_SCOPE && s.parentSpanId === span.spanId);
  const sent = (command: string): CallRecord[] => report.calls.filter((c) => c.command === command);

  beforeAll(async () => {
    report = await runInstrumented(emulator);
    spans = report.spans;
  });

  it('makes one trace of the request, both publishes and both handlers, with the SDK’s publish spans inside it', () => {
    const server = named('POST /orders');
    const sendHappened = ours('send thing.happened');
    const processHappened = ours('process thing.happened');
    const sendNoted = ours('send thing.noted');
    const processNoted = ours('process thing.noted');

    expect(server.parentSpanId).toBeUndefined();
    for (const span of [sendHappened, processHappened, sendNoted, processNoted]) {
      expect(span.traceId).toBe(server.traceId);
    }
    expect(sendHappened.parentSpanId).toBe(server.spanId);
    expect(processHappened.parentSpanId).toBe(sendHappened.spanId);
    expect(sendNoted.parentSpanId).toBe(processHappened.spanId);
    expect(processNoted.parentSpanId).toBe(sendNoted.spanId);

    // Under each of our producer spans, the SDK's own: one SNS Publish, no second trace.
    for (const send of [sendHappened, sendNoted]) {
      const publishes = sdkChildrenOf(send).filter((s) => s.attributes['rpc.method'] === 'Publish');
      expect(publishes).toHaveLength(1);
      expect(publishes[0]).toMatchObject({ kind: SpanKind.PRODUCER, traceId: server.traceId });
      expect(publishes[0].attributes).toMatchObject({
        'rpc.service': 'SNS',
        'messaging.system': 'aws.sns',
      });
    }
  });

  it('leaves no span whose parent was not exported, and every span of a request leads to its root', () => {
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    expect(byId.size).toBe(spans.length);
    const orphans = spans.filter((s) => s.parentSpanId !== undefined && !byId.has(s.parentSpanId));
    expect(orphans.map((s) => `${s.scope} ${s.name}`)).toEqual([]);

    const requests = [named('POST /orders'), named('POST /refusals')];
    for (const request of requests) {
      for (const span of spans.filter((s) => s.traceId === request.traceId)) {
        let top = span;
        while (top.parentSpanId) top = byId.get(top.parentSpanId)!;
        expect(top.spanId).toBe(request.spanId);
      }
    }
    // Only the requests and the SDK's calls outside any handler start traces; our spans never do.
    const roots = spans.filter((s) => s.parentSpanId === undefined);
    for (const span of roots) expect([AWS_SDK_SCOPE, 'test-http']).toContain(span.scope);
  });

  it('parents each process span on the producer span the event carries, not on the SDK’s receive span', () => {
    const receives = spans.filter(
      (s) => s.scope === AWS_SDK_SCOPE && s.attributes['rpc.method'] === 'ReceiveMessage',
    );
    expect(receives.length).toBeGreaterThan(0);
    const receiveIds = new Set(receives.map((s) => s.spanId));
    const requestTraces = new Set([named('POST /orders').traceId, named('POST /refusals').traceId]);
    for (const receive of receives) {
      expect(receive.kind).toBe(SpanKind.CONSUMER);
      // A receive is a trace of its own, started by the polling loop...
      expect(receive.parentSpanId).toBeUndefined();
      expect(requestTraces.has(receive.traceId)).toBe(false);
    }
    // ...that nothing of ours continues.
    for (const span of spans.filter((s) => s.scope === OURS)) {
      expect(receiveIds.has(span.parentSpanId ?? '')).toBe(false);
    }
    for (const [send, process] of [
      ['send thing.happened', 'process thing.happened'],
      ['send thing.noted', 'process thing.noted'],
      ['send thing.refused', 'process thing.refused'],
    ]) {
      expect(ours(process).parentSpanId).toBe(ours(send).spanId);
      expect(ours(process).traceId).toBe(ours(send).traceId);
    }
    // The receive that took thing.happened links to the SDK's publish span, in the request's trace.
    const [publish] = sdkChildrenOf(ours('send thing.happened')).filter(
      (s) => s.attributes['rpc.method'] === 'Publish',
    );
    // The message attribute holds that span's context; the process span follows the envelope's.
    expect(ours('process thing.happened').parentSpanId).not.toBe(publish.spanId);
    const linked = receives.filter((r) => r.links.some((l) => l.spanId === publish.spanId));
    expect(linked).toHaveLength(1);
    expect(linked[0].links.find((l) => l.spanId === publish.spanId)?.traceId).toBe(publish.traceId);
  });

  it('keeps every message within ten attributes and one traceparent, in the trace its event carries', () => {
    const messages: MessageRecord[] = report.calls.flatMap((c) => c.messages);
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages) {
      const names = Object.keys(message.attributes);
      expect(names.length).toBeLessThanOrEqual(10);
      expect(names.filter((n) => n.toLowerCase() === 'traceparent').length).toBeLessThanOrEqual(1);
      expect(message.envelopeTraceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      if (message.attributes.traceparent) {
        expect(traceIdOf(message.attributes.traceparent)).toBe(
          traceIdOf(message.envelopeTraceparent),
        );
      }
    }
    // What we publish: our five attributes and the SDK's traceparent (of its span, under ours);
    // the event keeps our producer span's context in its body.
    const publishes = sent('Publish').flatMap((c) => c.messages);
    expect(publishes.map((m) => m.eventType).sort()).toEqual([
      'thing.happened',
      'thing.noted',
      'thing.refused',
    ]);
    for (const message of publishes) {
      expect(Object.keys(message.attributes).sort()).toEqual(
        [...EVENT_ATTRIBUTES, 'traceparent'].sort(),
      );
      const send = ours(`send ${message.eventType}`);
      expect(message.envelopeTraceparent).toBe(traceparentOf(send));
      const [publish] = sdkChildrenOf(send).filter((s) => s.attributes['rpc.method'] === 'Publish');
      expect(message.attributes.traceparent).toBe(traceparentOf(publish));
    }
    // Raw delivery: the queue holds what was published, attributes and all.
    const received = sent('ReceiveMessage')
      .filter((c) => c.destination !== report.deadLetterQueueUrl)
      .flatMap((c) => c.messages);
    for (const type of ['thing.happened', 'thing.noted', 'thing.refused']) {
      const arrived = received.filter((m) => m.eventType === type);
      expect(arrived).toHaveLength(1);
      expect(arrived[0]).toEqual(publishes.find((m) => m.eventType === type));
    }
  });

  it('sends a dead-letter copy that already has ten attributes as it is, its event still in the trace', () => {
    const refused = ours('process thing.refused');
    expect(refused.attributes['nestjs_events.outcome']).toBe('dead-letter');
    expect(refused.status).toBe(SpanStatusCode.ERROR);

    const copies = sent('SendMessage').filter((c) => c.destination === report.deadLetterQueueUrl);
    expect(copies).toHaveLength(1);
    const [copy] = copies[0].messages;
    const explained = [
      ...EVENT_ATTRIBUTES,
      'dead-letter-attempts',
      'dead-letter-error',
      'dead-letter-handler',
      'dead-letter-reason',
      'dead-letter-source-queue',
    ].sort();
    // No room for the SDK's propagation fields: it adds none and says so.
    expect(Object.keys(copy.attributes).sort()).toEqual(explained);
    expect(Object.keys(report.deadLetter.attributes).sort()).toEqual(explained);
    expect(report.warnings).toContainEqual(expect.stringContaining('MessageAttributes'));
    expect(report.deadLetter.envelopeTraceparent).toBe(traceparentOf(ours('send thing.refused')));
    expect(ours('send thing.refused').traceId).toBe(named('POST /refusals').traceId);
  });
});
