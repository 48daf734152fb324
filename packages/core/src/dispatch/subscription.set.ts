import { EventPatternIndex } from '@nestjs-events/event-patterns';
import type { EventDefinition } from '../definition/event-definition.interface';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import type {
  DeliveryInfo,
  DeliveryOutcome,
  EventSubscription,
} from '../transport/transport.interface';
import { EventDispatcher, type DeliveryDone } from './event.dispatcher';
import { MAX_CACHED_TYPES } from '../utils/cache-limits';

/**
 * Patterned handlers of one type (and one definition) from which one index lookup replaces the
 * per-handler test. Measured in bench/dispatch.bench.ts: below this, testing each compiled
 * pattern is as cheap as the lookup or cheaper, since the lookup flattens the whole event first.
 */
export const INDEX_PATTERNS_FROM = 8;

export interface SubscriptionSetOptions {
  /**
   * True when the transport already routed each event to this set by type (e.g. EventEmitter2
   * listeners per selector): every subscription then takes every event it is given, and
   * `matches()` is not asked.
   */
  readonly routed?: boolean;
  /** See `INDEX_PATTERNS_FROM`. */
  readonly indexFrom?: number;
}

/** Receives each subscription's outcome as its delivery starts. */
export type DispatchSettle = (
  outcome: Promise<DeliveryOutcome>,
  subscription: EventSubscription,
  event: EventEnvelope,
) => void;

/** Dispatchers of one type that see the same prepared event, with their patterns indexed. */
class IndexedGroup {
  readonly index = new EventPatternIndex<number>();

  constructor(
    /** Any member: all prepare the event alike, since they share the definition. */
    readonly lead: EventDispatcher,
    /** Positions in the plan, ascending (the index's ids). */
    readonly positions: readonly number[],
  ) {}
}

interface Plan {
  readonly subscriptions: readonly EventSubscription[];
  /** Empty when every subscription is simply handed the event. */
  readonly groups: readonly IndexedGroup[];
}

/** A group's answer for one event; `run` undefined when every member must be handed the event. */
interface Selection {
  readonly prepared: EventEnvelope;
  readonly run?: Uint8Array;
}

const NO_GROUPS: readonly IndexedGroup[] = [];

/**
 * The subscriptions a transport consumes for, dispatching each event to those that take it.
 *
 * `dispatch` has exactly the effect of calling `handle` on each of `for(event.type)` in turn, and
 * transports may do either. It is cheaper when many handlers of one type filter on content: their
 * patterns are evaluated by one `EventPatternIndex` lookup on the event as they see it (upcast and
 * validated through their shared definition), and those that do not match are reported skipped
 * ('filtered') without being called. Subscriptions other than the core's own, and handlers without
 * a pattern, are always handed the event.
 */
export class SubscriptionSet {
  private readonly routed: boolean;
  private readonly indexFrom: number;
  /** False when no type can have enough patterned dispatchers: every plan is the plain loop. */
  private readonly indexable: boolean;
  private readonly plans = new Map<string, Plan>();

  constructor(
    readonly subscriptions: readonly EventSubscription[],
    options: SubscriptionSetOptions = {},
  ) {
    this.routed = options.routed ?? false;
    this.indexFrom = Math.max(2, options.indexFrom ?? INDEX_PATTERNS_FROM);
    let patterned = 0;
    for (const subscription of subscriptions) if (indexedPattern(subscription)) patterned++;
    this.indexable = patterned >= this.indexFrom;
  }

  /** The subscriptions that take events of `type`, in the order they were given. */
  for(type: string): readonly EventSubscription[] {
    if (this.routed && !this.indexable) return this.subscriptions;
    return this.plan(type).subscriptions;
  }

  /**
   * Delivers `event` to each of `for(event.type)`, calling `settle` with each one's outcome (a
   * promise that never rejects) in that order, as its delivery starts. Returns how many there were.
   */
  dispatch(event: EventEnvelope, delivery: DeliveryInfo, settle: DispatchSettle): number {
    if (this.routed && !this.indexable) {
      const { subscriptions } = this;
      for (let i = 0; i < subscriptions.length; i++) {
        settle(subscriptions[i].handle(event, delivery), subscriptions[i], event);
      }
      return subscriptions.length;
    }
    const { subscriptions, groups } = this.plan(event.type);
    if (groups.length === 0) {
      for (let i = 0; i < subscriptions.length; i++) {
        settle(subscriptions[i].handle(event, delivery), subscriptions[i], event);
      }
      return subscriptions.length;
    }
    // By position: the group deciding for that subscription, or -1 when it is simply handed the
    // event. Local to this call: handler code may dispatch again before it returns.
    const groupAt = new Int32Array(subscriptions.length).fill(-1);
    const selections = groups.map((group, g) => {
      for (const position of group.positions) groupAt[position] = g;
      return select(group, event, delivery, subscriptions.length);
    });
    for (let i = 0; i < subscriptions.length; i++) {
      const subscription = subscriptions[i];
      const g = groupAt[i];
      const selection = g < 0 ? undefined : selections[g];
      let outcome: Promise<DeliveryOutcome>;
      if (selection === undefined) {
        outcome = subscription.handle(event, delivery);
      } else if (selection instanceof Promise) {
        outcome = selection.then((chosen) =>
          deliverOrSkip(subscription, i, chosen, event, delivery),
        );
      } else {
        outcome = deliverOrSkip(subscription, i, selection, event, delivery);
      }
      settle(outcome, subscription, event);
    }
    return subscriptions.length;
  }

  /**
   * As `dispatch`, with each outcome passed to `done` once it is known (at once for a handler that
   * returned synchronously) rather than as a promise: for transports that only act on outcomes.
   */
  dispatchTo(event: EventEnvelope, delivery: DeliveryInfo, done: DeliveryDone): number {
    let list = this.subscriptions;
    if (!this.routed || this.indexable) {
      const plan = this.plan(event.type);
      if (plan.groups.length > 0) {
        return this.dispatch(event, delivery, (outcome, subscription) => {
          void outcome.then((settled) => done(settled, subscription, event));
        });
      }
      list = plan.subscriptions;
    }
    for (let i = 0; i < list.length; i++) {
      const subscription = list[i];
      if (subscription instanceof EventDispatcher) subscription.deliverTo(event, delivery, done);
      else {
        void subscription
          .handle(event, delivery)
          .then((outcome) => done(outcome, subscription, event));
      }
    }
    return list.length;
  }

  private plan(type: string): Plan {
    let plan = this.plans.get(type);
    if (plan) return plan;
    const subscriptions = this.routed
      ? this.subscriptions
      : this.subscriptions.filter((subscription) => subscription.matches(type));
    // Unknown types (poison messages) are not kept: anyone can send them. A plan not kept is not
    // worth an index built for one event.
    const kept = subscriptions.length > 0 && this.plans.size < MAX_CACHED_TYPES;
    const groups = kept && this.indexable ? this.group(type, subscriptions) : NO_GROUPS;
    plan = { subscriptions, groups };
    if (kept) this.plans.set(type, plan);
    return plan;
  }

  /** Patterned dispatchers of `type` by definition, indexed where there are enough of them. */
  private group(type: string, subscriptions: readonly EventSubscription[]): IndexedGroup[] {
    const byDefinition = new Map<EventDefinition | undefined, number[]>();
    subscriptions.forEach((subscription, position) => {
      if (!indexedPattern(subscription)) return;
      const definition = (subscription as EventDispatcher).definitionFor(type);
      const positions = byDefinition.get(definition);
      if (positions) positions.push(position);
      else byDefinition.set(definition, [position]);
    });
    const groups: IndexedGroup[] = [];
    for (const positions of byDefinition.values()) {
      if (positions.length < this.indexFrom) continue;
      const group = new IndexedGroup(subscriptions[positions[0]] as EventDispatcher, positions);
      try {
        for (const position of positions) {
          group.index.add(position, (subscriptions[position] as EventDispatcher).filterPattern!);
        }
      } catch {
        // Checked by compilePattern at bootstrap already; should the index still refuse one,
        // these handlers keep testing their own patterns.
        continue;
      }
      groups.push(group);
    }
    return groups;
  }
}

function indexedPattern(subscription: EventSubscription): boolean {
  return subscription instanceof EventDispatcher && subscription.filterPattern !== undefined;
}

/** Prepares the event once for the group and looks its members' patterns up. */
function select(
  group: IndexedGroup,
  event: EventEnvelope,
  delivery: DeliveryInfo,
  size: number,
): Selection | Promise<Selection> | undefined {
  let prepared: EventEnvelope | Promise<EventEnvelope>;
  try {
    prepared = group.lead.prepare(event, delivery);
  } catch {
    // Each member fails on its own, with its own retry policy, as when handed the event.
    return undefined;
  }
  const lookUp = (ready: EventEnvelope): Selection => {
    const run = new Uint8Array(size);
    for (const position of group.index.match(ready)) run[position] = 1;
    return { prepared: ready, run };
  };
  if (!(prepared instanceof Promise)) return lookUp(prepared);
  return prepared.then(lookUp, () => ({ prepared: event }));
}

function deliverOrSkip(
  subscription: EventSubscription,
  position: number,
  { prepared, run }: Selection,
  event: EventEnvelope,
  delivery: DeliveryInfo,
): Promise<DeliveryOutcome> {
  // A matching handler is handed the event as received: it prepares its own copy, as it always
  // does, so that what it sees does not depend on how many handlers share its type.
  if (!run || run[position]) return subscription.handle(event, delivery);
  return (subscription as EventDispatcher).skipFiltered(prepared);
}
