import { matchesPattern, validatePattern, type EventPattern } from '@nestjs-events/core';
import { compileTypeMatcher } from '@nestjs-events/core/transport';
import { toPutEventsEntry } from '../envelope/eventbridge.envelope';
import { buildQueueRulePattern, type RuleSubscription } from './queue-rule-pattern.builder';
import { MATCH_ALL_PATTERN } from './rule-pattern.builder';

const BIG: EventPattern = { data: { amount: [{ numeric: ['>=', 100_000] }] } };

/** The event EventBridge matches a rule against, for an envelope this transport publishes. */
function busEvent(type: string, data: unknown, source = 'orders') {
  const entry = toPutEventsEntry(
    {
      id: `${type}-${JSON.stringify(data)}`,
      type,
      version: 1,
      source,
      occurredAt: '2025-01-01T00:00:00.000Z',
      data,
      metadata: { correlationId: 'c' },
    },
    'bus',
  );
  return {
    version: '0',
    id: 'x',
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: '123456789012',
    time: '2025-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: JSON.parse(entry.Detail!) as unknown,
  };
}

describe('buildQueueRulePattern', () => {
  it('selects the event types alone when no handler has a pattern', () => {
    expect(
      buildQueueRulePattern([{ eventTypes: ['order.created'] }, { eventTypes: ['order.*'] }]),
    ).toEqual({ 'detail-type': ['order.created', { prefix: 'order.' }] });
  });

  it("ANDs a handler's types with its translated pattern", () => {
    expect(buildQueueRulePattern([{ eventTypes: ['order.created'], pattern: BIG }])).toEqual({
      'detail-type': ['order.created'],
      detail: { data: { amount: [{ numeric: ['>=', 100_000] }] } },
    });
  });

  it('ORs the handlers, with one alternative for all those without a pattern', () => {
    expect(
      buildQueueRulePattern([
        { eventTypes: ['order.created'] },
        { eventTypes: ['invoice.paid'], pattern: BIG },
        { eventTypes: ['order.cancelled'] },
        { eventTypes: ['refund.*'], pattern: { source: ['billing'] } },
      ]),
    ).toEqual({
      $or: [
        { 'detail-type': ['order.created', 'order.cancelled'] },
        {
          'detail-type': ['invoice.paid'],
          detail: { data: { amount: [{ numeric: ['>=', 100_000] }] } },
        },
        { 'detail-type': [{ prefix: 'refund.' }], source: ['billing'] },
      ],
    });
  });

  it('drops the alternative of a handler whose types a handler without a pattern takes anyway', () => {
    expect(
      buildQueueRulePattern([
        { eventTypes: ['order.created'] },
        { eventTypes: ['order.created'], pattern: BIG },
      ]),
    ).toEqual({ 'detail-type': ['order.created'] });
  });

  it('matches everything when a handler without a pattern takes every type', () => {
    expect(
      buildQueueRulePattern([{ eventTypes: ['**'] }, { eventTypes: ['a'], pattern: BIG }]),
    ).toBe(MATCH_ALL_PATTERN);
  });

  it('keeps only the pattern for a handler that takes every type', () => {
    expect(buildQueueRulePattern([{ eventTypes: ['**'], pattern: BIG }])).toEqual({
      detail: { data: { amount: [{ numeric: ['>=', 100_000] }] } },
    });
  });

  it('lets a pattern that names type replace the types, which only widens the rule', () => {
    expect(
      buildQueueRulePattern([
        { eventTypes: ['order.created'], pattern: { type: [{ prefix: 'order.' }] } },
      ]),
    ).toEqual({ 'detail-type': [{ prefix: 'order.' }] });
  });

  it('writes equal alternatives once', () => {
    expect(
      buildQueueRulePattern([
        { eventTypes: ['a'], pattern: BIG },
        { eventTypes: ['a'], pattern: BIG },
      ]),
    ).toEqual({ 'detail-type': ['a'], detail: BIG });
  });

  it('builds patterns EventBridge accepts, that let through exactly what some handler takes', () => {
    const subscriptions: RuleSubscription[] = [
      { eventTypes: ['order.created'] },
      { eventTypes: ['invoice.paid'], pattern: BIG },
      {
        eventTypes: ['refund.issued', 'refund.denied'],
        pattern: {
          source: ['billing'],
          $or: [{ data: { country: ['FR'] } }, { data: { amount: [{ numeric: ['<', 10] }] } }],
        },
      },
    ];
    const rule = buildQueueRulePattern(subscriptions);
    expect(() => validatePattern(rule)).not.toThrow();
    const cases: Array<[string, unknown, string?]> = [
      ['order.created', { amount: 1 }],
      ['order.cancelled', { amount: 1 }],
      ['invoice.paid', { amount: 100_000 }],
      ['invoice.paid', { amount: 99_999 }],
      ['refund.issued', { country: 'FR' }, 'billing'],
      ['refund.denied', { amount: 5 }, 'billing'],
      ['refund.denied', { amount: 50 }, 'billing'],
      ['refund.issued', { country: 'FR' }, 'orders'],
    ];
    for (const [type, data, source] of cases) {
      const handlersTake = subscriptions.some(
        (s) =>
          s.eventTypes.some((selector) => compileTypeMatcher(selector)(type)) &&
          (s.pattern === undefined ||
            matchesPattern(s.pattern, { type, source: source ?? 'orders', data })),
      );
      expect({
        type,
        data,
        source,
        passes: matchesPattern(rule, busEvent(type, data, source)),
      }).toEqual({ type, data, source, passes: handlersTake });
    }
  });
});
