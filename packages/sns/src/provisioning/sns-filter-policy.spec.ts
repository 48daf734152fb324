import { InvalidEventPatternError, matchesPattern, type EventPattern } from '@nestjs-events/core';
import {
  MAX_FILTER_POLICY_COMBINATIONS,
  toSnsFilterPolicy,
  typeFilterValues,
  unionFilterPolicy,
} from './sns-filter-policy';

// Every policy built here is also a valid EventBridge pattern (SNS's language is a subset), so the
// core's matcher can say whether a policy takes the same events as the pattern it came from.
const envelope = (data: unknown, extra: Record<string, unknown> = {}) => ({
  id: 'e-1',
  type: 'order.created',
  version: 1,
  source: 'orders',
  occurredAt: '2025-01-01T00:00:00.000Z',
  data,
  metadata: { correlationId: 'c-1' },
  ...extra,
});

const events = [
  envelope({ amount: 50, country: 'FR', sku: 'A-1', ip: '10.0.0.7' }),
  envelope({ amount: 150_000, country: 'DE', sku: 'B-2', ip: '10.1.0.1' }),
  envelope({ amount: 100_000, country: 'fr', tags: ['x', 'vip'] }),
  envelope({ amount: 7.5, country: 'US' }, { type: 'order.cancelled', source: 'billing' }),
  envelope({ country: 'FR' }, { aggregateId: 'o-9' }),
  envelope({ amount: 100_001, nested: { deep: 'yes' } }, { type: 'invoice.paid' }),
];

function expectSameMatches(pattern: EventPattern, policy: object | undefined) {
  expect(policy).toBeDefined();
  for (const event of events) {
    expect({ event, matches: matchesPattern(policy!, event) }).toEqual({
      event,
      matches: matchesPattern(pattern, event),
    });
  }
}

describe('toSnsFilterPolicy', () => {
  it('keeps a pattern SNS understands as it is, nested keys included', () => {
    const pattern: EventPattern = { data: { amount: [{ numeric: ['>=', 100_000] }] } };
    expect(toSnsFilterPolicy(pattern)).toEqual(pattern);
    expectSameMatches(pattern, toSnsFilterPolicy(pattern));
  });

  it.each<[string, EventPattern]>([
    ['exact strings and numbers', { type: ['order.created'], data: { amount: [50, 7.5] } }],
    ['prefix and suffix', { data: { sku: [{ prefix: 'A-' }, { suffix: '-2' }] } }],
    ['equals-ignore-case', { data: { country: [{ 'equals-ignore-case': 'FR' }] } }],
    [
      'numeric ranges',
      { data: { amount: [{ numeric: ['>', 0, '<=', 100] }, { numeric: ['=', 100_001] }] } },
    ],
    ['exists', { aggregateId: [{ exists: true }], data: { sku: [{ exists: false }] } }],
    ['anything-but strings', { data: { country: [{ 'anything-but': ['FR', 'DE'] }] } }],
    ['anything-but one string', { source: [{ 'anything-but': 'orders' }] }],
    ['anything-but numbers', { data: { amount: [{ 'anything-but': [50, 7.5] }] } }],
    ['anything-but one number', { data: { amount: [{ 'anything-but': 50 }] } }],
    ['anything-but prefix', { type: [{ 'anything-but': { prefix: 'order.' } }] }],
    ['IPv4 cidr', { data: { ip: [{ cidr: '10.0.0.0/24' }] } }],
    ['numbers just inside SNS range', { data: { amount: [999_999_999.12345, -999_999_999] } }],
  ])('expresses %s', (_what, pattern) => {
    expect(toSnsFilterPolicy(pattern)).toEqual(pattern);
    expectSameMatches(pattern, toSnsFilterPolicy(pattern));
  });

  it.each<[string, EventPattern]>([
    ['wildcard', { data: { sku: [{ wildcard: 'A-*' }] } }],
    ['prefix ignoring case', { data: { sku: [{ prefix: { 'equals-ignore-case': 'a-' } }] } }],
    ['suffix ignoring case', { data: { sku: [{ suffix: { 'equals-ignore-case': '-A' } }] } }],
    ['anything-but suffix', { data: { sku: [{ 'anything-but': { suffix: '-1' } }] } }],
    ['anything-but wildcard', { data: { sku: [{ 'anything-but': { wildcard: 'A*' } }] } }],
    [
      'anything-but ignoring case',
      { data: { sku: [{ 'anything-but': { 'equals-ignore-case': 'a' } }] } },
    ],
    ['anything-but a list of prefixes', { type: [{ 'anything-but': { prefix: ['a', 'b'] } }] }],
    ['booleans', { data: { vip: [true] } }],
    ['null', { data: { coupon: [null] } }],
    ['IPv6 cidr', { data: { ip: [{ cidr: '2001:db8::/32' }] } }],
    ['numbers from 1e9 on', { data: { amount: [{ numeric: ['<', 1e9] }] } }],
    ['numbers past -1e9', { data: { amount: [-1e9] } }],
    ['anything-but numbers out of range', { data: { amount: [{ 'anything-but': [2e9] }] } }],
    ['six decimals', { data: { amount: [{ numeric: ['>', 0.000001] }] } }],
    ['an empty prefix', { data: { sku: [{ prefix: '' }] } }],
    ['dotted keys', { 'data.amount': [5] }],
    ['fields named like an operator', { data: { prefix: ['x'] } }],
    [
      'one unsupported alternative among supported ones',
      { data: { sku: ['A-1', { wildcard: 'B*' }] } },
    ],
  ])('refuses %s', (_what, pattern) => {
    expect(toSnsFilterPolicy(pattern)).toBeUndefined();
  });

  it('expands a top-level $or into alternatives that repeat the common fields', () => {
    const pattern: EventPattern = {
      source: ['orders'],
      $or: [{ data: { country: ['FR'] } }, { data: { amount: [{ numeric: ['>', 100] }] } }],
    };
    expect(toSnsFilterPolicy(pattern)).toEqual({
      $or: [
        { source: ['orders'], data: { country: ['FR'] } },
        { source: ['orders'], data: { amount: [{ numeric: ['>', 100] }] } },
      ],
    });
    expectSameMatches(pattern, toSnsFilterPolicy(pattern));
  });

  it('lifts an $or nested in a field, and nested $or inside $or, to the top', () => {
    const pattern: EventPattern = {
      type: [{ prefix: 'order.' }],
      data: {
        $or: [
          { country: ['FR'] },
          { $or: [{ amount: [{ numeric: ['>=', 100_000] }] }, { sku: ['B-2'] }] },
        ],
      },
    };
    const policy = toSnsFilterPolicy(pattern) as { $or: object[] };
    expect(policy.$or).toEqual([
      { type: [{ prefix: 'order.' }], data: { country: ['FR'] } },
      { type: [{ prefix: 'order.' }], data: { amount: [{ numeric: ['>=', 100_000] }] } },
      { type: [{ prefix: 'order.' }], data: { sku: ['B-2'] } },
    ]);
    expectSameMatches(pattern, policy);
  });

  it('lets a field written again inside an $or alternative replace the outer one, as EventBridge', () => {
    const pattern: EventPattern = {
      data: { country: ['FR'] },
      $or: [{ data: { country: ['DE'] } }, { source: ['orders'] }],
    };
    expect(toSnsFilterPolicy(pattern)).toEqual({
      $or: [{ data: { country: ['DE'] } }, { data: { country: ['FR'] }, source: ['orders'] }],
    });
    expectSameMatches(pattern, toSnsFilterPolicy(pattern));
  });

  it('writes equal alternatives once, and no $or for a single one', () => {
    expect(
      toSnsFilterPolicy({ $or: [{ data: { country: ['FR'] } }, { data: { country: ['FR'] } }] }),
    ).toEqual({ data: { country: ['FR'] } });
  });

  it('allows five distinct leaf paths and refuses a sixth, even spread across alternatives', () => {
    const five: EventPattern = {
      type: ['a'],
      source: ['b'],
      version: [1],
      data: { x: ['1'], y: ['2'] },
    };
    expect(toSnsFilterPolicy(five)).toEqual(five);
    expect(toSnsFilterPolicy({ ...five, aggregateId: ['c'] })).toBeUndefined();
    expect(
      toSnsFilterPolicy({
        $or: [
          { type: ['a'], source: ['b'], version: [1] },
          { data: { x: ['1'], y: ['2'], z: ['3'] } },
        ],
      }),
    ).toBeUndefined();
  });

  it('allows 150 value combinations, summed over the alternatives, and refuses more', () => {
    const values = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `v${from + i}`);
    expect(toSnsFilterPolicy({ type: values(10), data: { x: values(15) } })).toBeDefined();
    expect(toSnsFilterPolicy({ type: values(10), data: { x: values(16) } })).toBeUndefined();
    // (2 × 50) + (2 × 25) = 150, then (2 × 50) + (2 × 26) = 152.
    const split = (second: number): EventPattern => ({
      type: values(2),
      $or: [{ data: { x: values(50) } }, { data: { y: values(second) } }],
    });
    expect(toSnsFilterPolicy(split(25))).toBeDefined();
    expect(toSnsFilterPolicy(split(26))).toBeUndefined();
  });

  it('gives up early on $or lists that multiply past the limit', () => {
    const alternatives = (key: string) =>
      Array.from({ length: 13 }, (_, i) => ({ data: { [key]: [`${i}`] } }));
    const pattern: EventPattern = {
      $or: alternatives('a').map((alternative) => ({
        ...alternative,
        $or: alternatives('b'),
      })),
    };
    expect(13 * 13).toBeGreaterThan(MAX_FILTER_POLICY_COMBINATIONS);
    expect(toSnsFilterPolicy(pattern)).toBeUndefined();
  });

  it('refuses a pattern where one path is both a value and an object', () => {
    expect(
      toSnsFilterPolicy({
        data: ['x'],
        $or: [{ data: { a: ['1'] } }, { data: { b: ['2'] } }],
      }),
    ).toBeUndefined();
  });

  it('throws on a pattern EventBridge would refuse', () => {
    expect(() => toSnsFilterPolicy({ data: { amount: [] } })).toThrow(InvalidEventPatternError);
    expect(() => toSnsFilterPolicy({ data: { amount: [{ numeric: ['>', 'x'] }] } })).toThrow(
      InvalidEventPatternError,
    );
  });

  it('does not change its input', () => {
    const pattern: EventPattern = { $or: [{ type: ['a'] }, { data: { x: [1] } }] };
    const copy = structuredClone(pattern);
    toSnsFilterPolicy(pattern);
    expect(pattern).toEqual(copy);
  });
});

describe('unionFilterPolicy', () => {
  it('ANDs each part’s types with its pattern and ORs the parts', () => {
    const policy = unionFilterPolicy([
      { type: ['order.created', 'order.cancelled'] },
      {
        type: [{ prefix: 'invoice.' }],
        pattern: { data: { amount: [{ numeric: ['>', 100_000] }] } },
      },
    ]);
    expect(policy).toEqual({
      $or: [
        { type: ['order.created', 'order.cancelled'] },
        { type: [{ prefix: 'invoice.' }], data: { amount: [{ numeric: ['>', 100_000] }] } },
      ],
    });
    const union = (event: (typeof events)[number]) =>
      ['order.created', 'order.cancelled'].includes(event.type) ||
      (event.type.startsWith('invoice.') &&
        matchesPattern({ data: { amount: [{ numeric: ['>', 100_000] }] } }, event));
    for (const event of events) expect(matchesPattern(policy!, event)).toBe(union(event));
  });

  it('lets a pattern that names type replace the part’s types, which only widens it', () => {
    expect(
      unionFilterPolicy([{ type: ['order.created'], pattern: { type: [{ prefix: 'order.' }] } }]),
    ).toEqual({ type: [{ prefix: 'order.' }] });
  });

  it('applies the types to every alternative of the pattern', () => {
    expect(
      unionFilterPolicy([
        { type: ['order.created'], pattern: { $or: [{ source: ['a'] }, { source: ['b'] }] } },
      ]),
    ).toEqual({
      $or: [
        { source: ['a'], type: ['order.created'] },
        { source: ['b'], type: ['order.created'] },
      ],
    });
  });

  it('is undefined when any part is not expressible', () => {
    expect(
      unionFilterPolicy([
        { type: ['a'] },
        { type: ['b'], pattern: { data: { x: [{ wildcard: '*' }] } } },
      ]),
    ).toBeUndefined();
  });

  it('counts the limits over the whole union', () => {
    const parts = Array.from({ length: 5 }, (_, i) => ({
      type: [`t${i}`],
      pattern: { data: { [`f${i}`]: ['x'] } },
    }));
    // type plus five data fields: six leaf paths.
    expect(unionFilterPolicy(parts)).toBeUndefined();
    expect(unionFilterPolicy(parts.slice(0, 4))).toBeDefined();
  });

  it('refuses a part that takes everything, which no policy can say', () => {
    expect(() => unionFilterPolicy([{}])).toThrow(RangeError);
  });
});

describe('typeFilterValues', () => {
  it('lists exact types, prefixes for trailing and suffixes for leading wildcards', () => {
    expect(typeFilterValues(['order.created', 'order.*', '*.paid'])).toEqual([
      'order.created',
      { prefix: 'order.' },
      { suffix: '.paid' },
    ]);
  });

  it('keeps the bare type of a trailing `**`, which may stand for no segment', () => {
    expect(typeFilterValues(['billing.**', '**.deleted'])).toEqual([
      'billing',
      { prefix: 'billing.' },
      { suffix: 'deleted' },
    ]);
  });

  it('lists each value once, and is undefined for selectors that take every type', () => {
    expect(typeFilterValues(['a.b', 'a.b', 'a.*', 'a.*'])).toEqual(['a.b', { prefix: 'a.' }]);
    expect(typeFilterValues(['a.b', '**'])).toBeUndefined();
    expect(typeFilterValues(['*.*'])).toBeUndefined();
  });
});
