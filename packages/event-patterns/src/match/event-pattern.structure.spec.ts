import { matchesPattern } from './event-pattern.matcher';

const order = {
  type: 'order.placed',
  source: 'checkout',
  aggregateId: 'ord-17',
  data: { total: 129.5, currency: 'EUR', express: true, note: '' },
  metadata: { tenant: 'acme', ip: '10.1.2.3' },
};

describe('matchesPattern: arrays in events', () => {
  const groups = {
    groups: [[{ name: 'ann', role: 'admin' }], [{ name: 'bob', role: 'viewer' }]],
    scores: [[1, 2], [3]],
    empty: [],
    nulls: [null],
    people: [{ email: 'a@x' }, { email: 'b@x' }, { email: 'c@x', name: 'cy' }],
    users: [{ name: 'ann' }],
    labels: ['admin', 'ops'],
    tagged: { tags: ['a', 'b'], kind: 'group' },
    members: [
      { name: 'ann', status: 'banned' },
      { name: 'bob', status: 'active' },
    ],
  };

  it.each([
    ['a value of a nested array', { scores: [3] }, true],
    [
      'objects of nested arrays, same element',
      { groups: { name: ['bob'], role: ['viewer'] } },
      true,
    ],
    ['objects of nested arrays, split', { groups: { name: ['ann'], role: ['viewer'] } }, false],
    ['null in an empty array', { empty: [null] }, false],
    ['exists in an empty array', { empty: [{ exists: true }] }, false],
    ['absence of an empty array', { empty: [{ exists: false }] }, true],
    ['null in [null]', { nulls: [null] }, true],
    ['exists in [null]', { nulls: [{ exists: true }] }, true],
    ['absence of [null]', { nulls: [{ exists: false }] }, false],
    ['the one element holding both', { people: { email: [{ exists: true }], name: ['cy'] } }, true],
    ['fields split over elements', { people: { email: ['a@x'], name: ['cy'] } }, false],
    ['two unrelated arrays', { users: { name: ['ann'] }, labels: ['admin'] }, true],
    ['an array next to a value', { tagged: { tags: ['b'], kind: ['group'] } }, true],
    [
      'anything-but in the same element',
      { members: { name: ['ann'], status: [{ 'anything-but': 'banned' }] } },
      false,
    ],
    [
      'anything-but in another element',
      { members: { name: ['bob'], status: [{ 'anything-but': 'banned' }] } },
      true,
    ],
    [
      'absence within the chosen element',
      { members: { name: ['bob'], role: [{ exists: false }] } },
      true,
    ],
  ])('%s: %j -> %s', (_what, pattern, expected) => {
    expect(matchesPattern(pattern, groups)).toBe(expected);
  });

  // EventBridge walks fields in path order: an absence is judged with only the elements chosen by
  // earlier paths, so "d.c" (before "d.z") sees every element while "d.c" after "d.a" does not.
  it.each([
    [{ d: { a: [3], c: [{ exists: false }] } }, { d: [{ a: 1, c: 2 }, { a: 3 }] }, true],
    [{ d: { z: [3], c: [{ exists: false }] } }, { d: [{ z: 1, c: 2 }, { z: 3 }] }, false],
    [{ d: { c: [{ exists: false }] } }, { d: [{ c: 1 }, { e: 2 }] }, false],
    [{ d: { a: [{ exists: true }], b: [{ exists: false }] } }, { d: [{ a: 1, b: 2 }] }, false],
    [
      { d: { a: [{ exists: true }], b: [{ exists: false }] } },
      { d: [{ a: 1, b: 2 }, { a: 3 }] },
      true,
    ],
  ])(
    'judges exists:false inside arrays in path order: %j on %j -> %s',
    (pattern, event, expected) => {
      expect(matchesPattern(pattern, event)).toBe(expected);
    },
  );
});

describe('matchesPattern: exists', () => {
  const event = {
    name: 'x',
    blank: '',
    nothing: null,
    nested: { inner: 1 },
    none: [],
    some: ['v'],
  };

  it.each([
    ['name', true, true],
    ['blank', true, true],
    ['nothing', true, true],
    ['nested', true, false],
    ['none', true, false],
    ['some', true, true],
    ['missing', true, false],
    ['name', false, false],
    ['nothing', false, false],
    ['nested', false, true],
    ['none', false, true],
    ['missing', false, true],
  ])('{"%s": [{"exists": %s}]} -> %s', (field, exists, expected) => {
    expect(matchesPattern({ [field]: [{ exists }] }, event)).toBe(expected);
  });

  it('treats a missing parent as absence', () => {
    expect(matchesPattern({ a: { b: { c: [{ exists: false }] } } }, { a: { x: 1 } })).toBe(true);
    expect(matchesPattern({ a: { b: { c: [{ exists: false }] } } }, { a: { b: { c: 1 } } })).toBe(
      false,
    );
  });

  it.each([
    [{}, true],
    [{ flower: 'tulip' }, true],
    [{ flower: 'rose' }, false],
    [{ flower: { kind: 'rose' } }, true],
  ])('combines exists:false with other alternatives: %j -> %s', (event, expected) => {
    const pattern = { flower: [{ 'anything-but': ['rose'] }, { exists: false }] };
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
});

describe('matchesPattern: $or', () => {
  it.each([
    [
      'one alternative plus a common field',
      {
        source: ['checkout'],
        $or: [{ type: ['order.placed'] }, { data: { total: [{ numeric: ['>', 1000] }] } }],
      },
      true,
    ],
    [
      'a failing common field',
      {
        source: ['billing'],
        $or: [{ type: ['order.placed'] }, { data: { total: [{ numeric: ['>', 1000] }] } }],
      },
      false,
    ],
    ['no alternative', { $or: [{ type: ['order.paid'] }, { source: ['billing'] }] }, false],
    [
      'an $or inside an object',
      { data: { $or: [{ currency: ['USD'] }, { express: [true] }] } },
      true,
    ],
    [
      'an AND inside an alternative',
      { $or: [{ type: ['x'] }, { source: ['checkout'], aggregateId: ['ord-17'] }] },
      true,
    ],
    [
      'an AND inside an alternative, failing',
      { $or: [{ type: ['x'] }, { source: ['checkout'], aggregateId: ['ord-18'] }] },
      false,
    ],
    [
      'a nested $or',
      {
        $or: [
          { type: ['x'] },
          {
            source: ['checkout'],
            $or: [{ aggregateId: ['nope'] }, { metadata: { tenant: ['acme'] } }],
          },
        ],
      },
      true,
    ],
    [
      'a nested $or, failing',
      {
        $or: [
          { type: ['x'] },
          {
            source: ['checkout'],
            $or: [{ aggregateId: ['nope'] }, { metadata: { tenant: ['other'] } }],
          },
        ],
      },
      false,
    ],
    [
      'two $or at different levels (both must hold)',
      {
        $or: [{ type: ['order.placed'] }, { type: ['order.paid'] }],
        data: { $or: [{ currency: ['USD'] }, { note: ['gift wrap'] }] },
      },
      false,
    ],
    [
      'an alternative that requires absence',
      { $or: [{ data: { discount: [{ exists: false }] } }, { type: ['x'] }] },
      true,
    ],
    [
      'three alternatives',
      { $or: [{ type: ['a'] }, { type: ['b'] }, { metadata: { ip: [{ cidr: '10.0.0.0/8' }] } }] },
      true,
    ],
    [
      'alternatives sharing a value, by the other value of the second',
      { $or: [{ type: ['order.paid', 'x'] }, { type: ['order.placed', 'x'] }] },
      true,
    ],
  ])('%s', (_what, pattern, expected) => {
    expect(matchesPattern(pattern, order)).toBe(expected);
  });
});
