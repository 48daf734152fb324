import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandInput,
  type PutEventsCommandOutput,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { awsTestConfig, type Emulator } from '../fixtures/aws';

/**
 * An EventBridge client on `emulator` that records every PutEvents call and can lose entries on the
 * way, the way EventBridge reports a partial failure: those entries are not sent, and come back
 * in `Entries` with an `ErrorCode` (counted in `FailedEntryCount`).
 */
export function lossyEventBridgeClient(
  emulator: Emulator,
  drop: (call: number, entryIndex: number, detail: string) => string | undefined = () => undefined,
) {
  const client = new EventBridgeClient(awsTestConfig(emulator));
  /** Detail types of the entries of each PutEvents call, in order. */
  const calls: string[][] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== PutEventsCommand.name) return next(args);
      const input = args.input as PutEventsCommandInput;
      const call = calls.length;
      const entries = input.Entries ?? [];
      calls.push(entries.map((e) => e.DetailType!));
      const codes = entries.map((entry, index) => drop(call, index, entry.Detail ?? ''));
      const kept = entries.filter((_, index) => codes[index] === undefined);
      const result = kept.length
        ? await next({ ...args, input: { ...input, Entries: kept } })
        : { output: { FailedEntryCount: 0, Entries: [], $metadata: {} }, response: {} };
      const output = result.output as PutEventsCommandOutput;
      const sent = [...(output.Entries ?? [])];
      output.Entries = codes.map((code): PutEventsResultEntry =>
        code === undefined ? sent.shift()! : { ErrorCode: code, ErrorMessage: 'injected' },
      );
      output.FailedEntryCount = output.Entries.filter((e) => e.ErrorCode).length;
      return result;
    },
    { step: 'initialize' },
  );
  return { client, calls };
}
