import type { ReceiveMessageCommandOutput, SQSClient } from '@aws-sdk/client-sqs';
import { decodeMessage } from '@nestjs-events/sns-sqs';
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
            ids.push(decodeMessage(message.Body).event.id);
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
