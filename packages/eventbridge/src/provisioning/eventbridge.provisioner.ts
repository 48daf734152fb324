import * as EventBridge from '@aws-sdk/client-eventbridge';
import { Logger } from '@nestjs/common';
import { EventsConfigurationError, validatePattern } from '@nestjs-events/core';
import type {
  EventSubscription,
  SubscriptionOutline,
  TopologyRule,
} from '@nestjs-events/core/transport';
import { serviceQueuePolicy } from '@nestjs-events/sqs/transport';
import { eventBusNameOf, isDefaultEventBus, lookUpEventBus } from '../bus/event-bus.lookup';
import { buildQueueRulePattern, MAX_RULE_PATTERN_LENGTH } from './queue-rule-pattern.builder';
import { buildRulePattern, type RulePattern } from './rule-pattern.builder';
import { ruleNameFor } from './rule.naming';

/** A provisioned queue, with what its rule has to let through. */
export interface QueueToProvision {
  readonly arn: string;
  readonly options: { readonly name: string };
  readonly deadLetterQueue?: string;
  /** The dead-letter queue, which also takes what the bus could not deliver to the queue. */
  readonly deadLetter?: { readonly arn: string };
  /** Event types and selectors (`order.*`) its handlers take. */
  readonly eventTypes: readonly string[];
  /** The handlers reading from it. */
  readonly subscriptions: readonly EventSubscription[];
}

/** What a queue's rule is built from. */
export interface QueueToDescribe {
  readonly options: { readonly name: string };
  /** The queue's dead-letter queue: the rule's target puts what it cannot deliver there. */
  readonly deadLetterQueue?: string;
  readonly eventTypes: readonly string[];
  readonly subscriptions: readonly SubscriptionOutline[];
}

/** Id of the one target of each queue's rule. */
export const QUEUE_TARGET_ID = 'queue';

/**
 * Creates what the handlers need, for local development and tests: the event bus, and for each
 * provisioned queue a rule `<queue>-events` on the bus that selects the handlers' event types and
 * content patterns, the queue as the rule's target, and the queue policy that lets that rule send
 * to it. Every call is idempotent: rules and targets are overwritten.
 */
export class EventBridgeProvisioner {
  private readonly logger = new Logger(EventBridgeProvisioner.name);

  constructor(
    private readonly eventsClient: EventBridge.EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  /** Creates the bus unless it exists (the default bus always does). */
  async provisionEventBus(): Promise<void> {
    if (isDefaultEventBus(this.eventBusName)) return;
    if ((await lookUpEventBus(this.eventsClient, this.eventBusName)) === 'exists') {
      return;
    }
    try {
      await this.eventsClient.send(
        new EventBridge.CreateEventBusCommand({ Name: eventBusNameOf(this.eventBusName) }),
      );
      this.logger.log(`Created event bus "${this.eventBusName}"`);
    } catch (error) {
      // Another instance starting at the same time created it first.
      if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
    }
  }

  /** Puts the queue's rule and target on the bus; resolves with the rule's ARN. */
  async provisionRule(queue: QueueToProvision): Promise<string> {
    const name = queue.options.name;
    const rule = this.describeRule(queue);
    const { RuleArn } = await this.eventsClient.send(
      new EventBridge.PutRuleCommand({
        Name: rule.name,
        EventBusName: this.eventBusName,
        EventPattern: JSON.stringify(rule.pattern),
        State: 'ENABLED',
        Description: rule.description,
      }),
    );
    const targets = await this.eventsClient.send(
      new EventBridge.PutTargetsCommand({
        Rule: rule.name,
        EventBusName: this.eventBusName,
        Targets: rule.targets.map(({ id }) => ({
          Id: id,
          Arn: queue.arn,
          ...(queue.deadLetter && { DeadLetterConfig: { Arn: queue.deadLetter.arn } }),
        })),
      }),
    );
    if (targets.FailedEntryCount) {
      const [failure] = targets.FailedEntries ?? [];
      throw new Error(
        `Could not make queue "${name}" the target of rule "${rule.name}": ` +
          `${failure?.ErrorCode ?? 'failed'}: ${failure?.ErrorMessage ?? 'no message'}`,
      );
    }
    this.logger.log(
      `Provisioned queue "${name}" (dead letters: "${queue.deadLetterQueue}") with rule ` +
        `"${rule.name}" on bus "${this.eventBusName}" for ${queue.eventTypes.join(', ')}`,
    );
    return RuleArn!;
  }

  /**
   * The rule that feeds `queue` and its one target, the queue: what `provisionRule` puts, and
   * what `describeTopology` reports.
   */
  describeRule(queue: QueueToDescribe, notes?: string[]): TopologyRule {
    const { deadLetterQueue } = queue;
    const name = queue.options.name;
    const rule = ruleNameFor(name);
    const pattern = this.rulePattern(queue, notes);
    // Checked here because emulators take any pattern: a mistake would only show on AWS.
    try {
      validatePattern(pattern);
    } catch (error) {
      throw new EventsConfigurationError(
        `The pattern of rule "${rule}" for queue "${name}" is invalid: ${(error as Error).message}`,
      );
    }
    return {
      name: rule,
      bus: eventBusNameOf(this.eventBusName),
      pattern,
      description: `Events for the handlers of SQS queue ${name} (@nestjs-events/eventbridge)`,
      targets: [
        { id: QUEUE_TARGET_ID, queue: name, ...(deadLetterQueue ? { deadLetterQueue } : {}) },
      ],
    };
  }

  /** The access policy that lets the rule `ruleArn` send to the queue. */
  queuePolicy(queue: QueueToProvision, ruleArn: string): object {
    return serviceQueuePolicy(queue.arn, 'events.amazonaws.com', ruleArn);
  }

  /**
   * The pattern of the rule that feeds `queue`: the union of its handlers' event types and
   * content patterns (see `buildQueueRulePattern`). When that union is one EventBridge would
   * refuse (combined wildcards too complex, too many `$or` alternatives, longer than the default
   * quota), the rule selects the event types only and the handlers filter content in-process.
   * Whatever is built here must let through at least every event some handler of the queue takes.
   */
  protected rulePattern(queue: QueueToDescribe, notes?: string[]): RulePattern {
    const union = buildQueueRulePattern(queue.subscriptions);
    let problem: string | undefined;
    try {
      validatePattern(union);
      const length = JSON.stringify(union).length;
      if (length > MAX_RULE_PATTERN_LENGTH) {
        problem = `${length} characters, over EventBridge's default ${MAX_RULE_PATTERN_LENGTH}`;
      }
    } catch (error) {
      problem = (error as Error).message;
    }
    if (problem === undefined) return union;
    const note =
      `The content patterns of queue "${queue.options.name}" do not fit in one rule (${problem}); ` +
      'its rule selects event types only and the handlers skip the rest.';
    if (notes) notes.push(note);
    else this.logger.warn(note);
    return buildRulePattern(queue.eventTypes);
  }
}
