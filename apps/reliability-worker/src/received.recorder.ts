import type { ReceiveMessageCommandOutput, SQSClient } from '@aws-sdk/client-sqs';
import type { RunLedger } from './run.ledger';

/**
 * Counts the consumer's ReceiveMessage calls (how hard it polls while the broker is down), and,
 * per event id, every message it receives before any handler runs: the orchestrator tells "came
 * back" (received again) from "applied again" with it. Poison bodies carry no readable id and
 * are not counted here; the dead-letter queue accounts for them.
 */
export function recordReceivedMessages(client: SQSClient, ledger: RunLedger): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ReceiveMessageCommand') await ledger.recordReceiveCall();
      const result = await next(args);
      if (context.commandName === 'ReceiveMessageCommand') {
        const output = result.output as ReceiveMessageCommandOutput;
        const ids: string[] = [];
        for (const message of output.Messages ?? []) {
          try {
            const id = eventIdOf(message.Body);
            if (id !== undefined) ids.push(id);
          } catch {
            // Poison: counted through the dead-letter queue instead.
          }
        }
        // Awaited, so that the count is in Redis before the handlers can apply anything.
        await ledger.recordReceived(ids);
      }
      return result;
    },
    { step: 'initialize', name: 'recordReceivedMessages' },
  );
}

/** The event id in a body as the transports deliver it: raw, in an SNS notification, or in an EventBridge event. */
function eventIdOf(body: string | undefined): string | undefined {
  let value = JSON.parse(body ?? '') as Record<string, unknown>;
  if (value.Type === 'Notification' && typeof value.Message === 'string') {
    value = JSON.parse(value.Message) as Record<string, unknown>;
  }
  const envelope = (value['detail-type'] !== undefined ? value.detail : value) as { id?: unknown };
  return typeof envelope?.id === 'string' ? envelope.id : undefined;
}
