import type { EventPattern } from '../interfaces/event-pattern.interface';
import { compilePattern } from '../compile/event-pattern.compiler';
import { matchesPattern } from './event-pattern.matcher';

const placed = {
  type: 'order.placed',
  version: 2,
  source: 'checkout',
  aggregateId: 'ord-17',
  data: {
    total: 129.5,
    currency: 'EUR',
    express: true,
    coupon: null,
    note: '',
    tags: ['gift', 'priority'],
    items: [
      { sku: 'A-1', qty: 2 },
      { sku: 'B-7', qty: 1 },
    ],
  },
  metadata: { tenant: 'acme', ip: '10.1.2.3' },
};

describe('matchesPattern: values and structure', () => {
  it.each([
    ['an exact string', { type: ['order.placed'] }, true],
    ['another string', { type: ['order.cancelled'] }, false],
    ['any of several values', { type: ['order.cancelled', 'order.placed'] }, true],
    ['every field (AND)', { type: ['order.placed'], source: ['checkout'] }, true],
    ['every field, one failing', { type: ['order.placed'], source: ['billing'] }, false],
    ['a nested field', { data: { currency: ['EUR'] } }, true],
    ['strings case-sensitively', { data: { currency: ['eur'] } }, false],
    ['field names case-sensitively', { Type: ['order.placed'] }, false],
    ['a number', { data: { total: [129.5] } }, true],
    ['a number against its string', { version: ['2'] }, false],
    ['true', { data: { express: [true] } }, true],
    ['true against "true"', { data: { express: ['true'] } }, false],
    ['null', { data: { coupon: [null] } }, true],
    ['null against "null"', { data: { coupon: ['null'] } }, false],
    ['null against the empty string', { data: { coupon: [''] } }, false],
    ['the empty string', { data: { note: [''] } }, true],
    ['the empty string against null', { data: { note: [null] } }, false],
    ['an absent field', { data: { discount: ['x'] } }, false],
    ['an absent field against null', { data: { discount: [null] } }, false],
    ['an object where a value is expected', { data: ['x'] }, false],
    ['a value where an object is expected', { type: { name: ['order.placed'] } }, false],
    ['one element of an event array', { data: { tags: ['priority'] } }, true],
    ['an overlap with an event array', { data: { tags: ['gift', 'sale'] } }, true],
    ['no overlap with an event array', { data: { tags: ['sale'] } }, false],
    ['a field of objects in an array', { data: { items: { sku: ['B-7'] } } }, true],
    ['two fields of the same element', { data: { items: { sku: ['B-7'], qty: [1] } } }, true],
    ['two fields of different elements', { data: { items: { sku: ['B-7'], qty: [2] } } }, false],
    ['a dotted key as a path', { 'data.currency': ['EUR'] }, true],
    ['a dotted key through an array', { data: { 'items.sku': ['A-1'] } }, true],
  ])('matches %s: %j -> %s', (_what, pattern, expected) => {
    expect(matchesPattern(pattern, placed)).toBe(expected);
  });

  it('joins dotted event keys with nested pattern keys', () => {
    const event = { detail: { 'state.status': 'running' } };
    expect(matchesPattern({ detail: { state: { status: ['running'] } } }, event)).toBe(true);
    expect(matchesPattern({ detail: { state: { status: ['stopped'] } } }, event)).toBe(false);
  });

  it.each([
    [['nested'], true],
    [['dotted'], true],
    [['other'], false],
    [[{ 'anything-but': 'nested' }], true],
  ])('sees both values when a dotted and a nested key meet: %j -> %s', (values, expected) => {
    const event = { 'a.b': 'dotted', a: { b: 'nested' } };
    expect(matchesPattern({ a: { b: values } }, event)).toBe(expected);
  });

  it('keeps the last definition of a path written twice', () => {
    const pattern = { a: { b: ['first'] }, 'a.b': ['second'] };
    expect(matchesPattern(pattern, { a: { b: 'second' } })).toBe(true);
    expect(matchesPattern(pattern, { a: { b: 'first' } })).toBe(false);
  });

  it('does not look into JSON held in a string', () => {
    const event = { detail: JSON.stringify({ state: 'running' }) };
    expect(matchesPattern({ detail: { state: ['running'] } }, event)).toBe(false);
  });
});

// The scenarios of the EventBridge user guide, restated for this library's envelopes.
describe('matchesPattern: documented scenarios', () => {
  const shipment = {
    type: 'shipment.updated',
    source: 'logistics',
    time: '2024-10-02T18:43:48Z',
    data: {
      state: 'in-transit',
      parcels: 3,
      pallets: 9,
      weightKg: 301.8,
      senderIp: '10.0.0.33',
      hub: 'eu-west-hub',
      file: 'label.PNG',
    },
  };

  it.each([
    ['prefix on a date', { time: [{ prefix: '2024-10-02' }] }, true],
    [
      'prefix, ignoring case',
      { data: { hub: [{ prefix: { 'equals-ignore-case': 'EU-' } }] } },
      true,
    ],
    ['suffix, case-sensitive', { data: { file: [{ suffix: '.png' }] } }, false],
    [
      'suffix, ignoring case',
      { data: { file: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
      true,
    ],
    ['anything-but a state', { data: { state: [{ 'anything-but': 'initializing' }] } }, true],
    [
      'anything-but a list',
      { data: { state: [{ 'anything-but': ['in-transit', 'lost'] }] } },
      false,
    ],
    ['anything-but a prefix', { data: { hub: [{ 'anything-but': { prefix: 'us-' } }] } }, true],
    ['numeric range', { data: { parcels: [{ numeric: ['>', 0, '<=', 5] }] } }, true],
    [
      'numeric equality with an exponent',
      { data: { weightKg: [{ numeric: ['=', 3.018e2] }] } },
      true,
    ],
    ['IP address in a block', { data: { senderIp: [{ cidr: '10.0.0.0/24' }] } }, true],
    ['exists', { data: { parcels: [{ exists: true }] } }, true],
    ['wildcard', { data: { hub: [{ wildcard: 'eu-*-hub' }] } }, true],
    [
      'the complex example',
      {
        time: [{ prefix: '2024-10-02' }],
        data: {
          state: [{ 'anything-but': 'initializing' }],
          parcels: [{ numeric: ['>', 0, '<=', 5] }],
          pallets: [{ numeric: ['<', 10] }],
          weightKg: [{ 'anything-but': [100, 200, 300] }],
          senderIp: [{ cidr: '10.0.0.0/8' }],
        },
      },
      true,
    ],
    [
      'the $or example',
      {
        data: {
          $or: [
            { parcels: [{ numeric: ['>', 5] }] },
            { pallets: [{ numeric: ['<', 10] }] },
            { weightKg: [{ numeric: ['=', 1] }] },
          ],
        },
      },
      true,
    ],
  ])('%s', (_what, pattern, expected) => {
    expect(matchesPattern(pattern, shipment)).toBe(expected);
  });
});

describe('matchesPattern: JSON text and event shapes', () => {
  it('reads both pattern and event from JSON text', () => {
    expect(matchesPattern('{"type":["order.placed"]}', JSON.stringify(placed))).toBe(true);
    expect(matchesPattern('{"data":{"total":[1.295e2]}}', '{"data":{"total":129.50}}')).toBe(true);
    expect(matchesPattern('{"version":[2.0]}', '{"version":2}')).toBe(true);
  });

  it.each(['[1, 2]', '"order.placed"', 'null', '{"type": ', ''])(
    'refuses the event text %j',
    (event) => {
      expect(() => matchesPattern({ type: ['x'] }, event)).toThrow(TypeError);
    },
  );

  it('checks the pattern before the event', () => {
    expect(() => matchesPattern({ type: 'x' }, 'not json')).toThrow(/Invalid event pattern/);
  });

  it.each([null, undefined, 'order.placed', 42, [placed]])(
    'compiled matchers reject %j',
    (event) => {
      expect(compilePattern({ type: [{ exists: false }] })(event)).toBe(false);
    },
  );

  it('reads values as JSON.stringify writes them', () => {
    const event = {
      at: new Date('2024-05-01T10:00:00.000Z'),
      gone: undefined,
      ratio: Number.NaN,
      list: [undefined],
    };
    expect(matchesPattern({ at: [{ prefix: '2024-05-01T' }] }, event)).toBe(true);
    expect(matchesPattern({ gone: [{ exists: false }] }, event)).toBe(true);
    expect(matchesPattern({ ratio: [null] }, event)).toBe(true);
    expect(matchesPattern({ list: [null] }, event)).toBe(true);
  });

  it('reuses one compiled matcher across events', () => {
    const isLargeOrder = compilePattern({
      type: [{ prefix: 'order.' }],
      data: { total: [{ numeric: ['>=', 100] }] },
    });
    expect(isLargeOrder(placed)).toBe(true);
    expect(isLargeOrder({ ...placed, data: { total: 99.99 } })).toBe(false);
    expect(isLargeOrder({ ...placed, type: 'invoice.sent' })).toBe(false);
    expect(isLargeOrder({ ...placed, data: { total: '150' } })).toBe(false);
  });
});

describe('EventPattern', () => {
  it('types every operator (checked by the compiler)', () => {
    const pattern = {
      type: ['order.placed', { prefix: 'order.' }, { suffix: { 'equals-ignore-case': '.PLACED' } }],
      version: [2, { numeric: ['>=', 1, '<', 3] }],
      data: {
        currency: [{ 'equals-ignore-case': 'eur' }, { wildcard: 'E*' }],
        coupon: [null, { exists: false }],
        note: [{ 'anything-but': { prefix: ['spam', 'test'] } }],
        total: [{ 'anything-but': [0, 1] }],
      },
      metadata: { ip: [{ cidr: '10.0.0.0/8' }] },
      $or: [{ source: ['checkout'] }, { aggregateId: [{ 'anything-but': 'ord-0' }] }],
    } satisfies EventPattern;
    expect(matchesPattern(pattern, placed)).toBe(true);
  });
});
