import * as EventBridge from '@aws-sdk/client-eventbridge';

/** What DescribeEventBus said about a bus; `unknown` when this role may not ask. */
export type EventBusState = 'exists' | 'missing' | 'unknown';

/** Whether event bus `nameOrArn` exists. Errors other than "not found" and "denied" propagate. */
export async function lookUpEventBus(
  client: EventBridge.EventBridgeClient,
  nameOrArn: string,
): Promise<EventBusState> {
  try {
    await client.send(new EventBridge.DescribeEventBusCommand({ Name: nameOrArn }));
    return 'exists';
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ResourceNotFoundException') return 'missing';
    // A publisher's role often has events:PutEvents and nothing else; that is no reason to refuse
    // to start, and a bus that is really missing still shows up on the first publish.
    if (name === 'AccessDeniedException' || name === 'AccessDenied') return 'unknown';
    throw error;
  }
}

/** The name part of a bus name or ARN (`arn:aws:events:<region>:<account>:event-bus/<name>`). */
export function eventBusNameOf(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1) : nameOrArn;
}

/** The account's default bus always exists and cannot be created. */
export function isDefaultEventBus(nameOrArn: string): boolean {
  return eventBusNameOf(nameOrArn) === 'default';
}
