/**
 * OpenTelemetry as an application sets it up: a NodeTracerProvider (AsyncLocalStorage context,
 * W3C trace context and baggage propagation) and the AWS SDK instrumentation, registered before
 * any `@aws-sdk` client is loaded. Import this module first: the instrumentation patches the SDK
 * as it is required.
 */
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** Warnings OpenTelemetry reported (the instrumentation warns when it cannot inject). */
export const warnings: string[] = [];

diag.setLogger(
  {
    error: (message) => warnings.push(message),
    warn: (message) => warnings.push(message),
    info: () => undefined,
    debug: () => undefined,
    verbose: () => undefined,
  },
  DiagLogLevel.WARN,
);

export const exporter = new InMemorySpanExporter();
export const provider = new NodeTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
provider.register();

registerInstrumentations({
  instrumentations: [new AwsInstrumentation({ sqsExtractContextPropagationFromPayload: true })],
});
