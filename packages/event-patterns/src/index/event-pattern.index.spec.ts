import { InvalidEventPatternError } from '../errors/invalid-event-pattern.error';
import { EventPatternIndex } from './event-pattern.index';
import { MAX_EVENT_ARRAY_ELEMENTS, MAX_EVENT_DEPTH } from '../limits/event-pattern.limits';
import { nestedArrays } from '../testing/nested-value.factory';
import { compilePattern, type EventMatcher } from '../compile/event-pattern.compiler';

/** What the index must answer: every pattern tested in turn. */
class NaiveLoop {
  readonly matchers = new Map<number, EventMatcher>();

  add(id: number, pattern: object): void {
    this.matchers.set(id, compilePattern(pattern));
  }

  match(event: unknown): number[] {
    return [...this.matchers].filter(([, matches]) => matches(event)).map(([id]) => id);
  }
}

describe('EventPatternIndex', () => {
  const order = {
    type: 'order.placed',
    source: 'checkout',
    data: { total: 129.5, currency: 'EUR', items: [{ sku: 'A-1', qty: 2 }, { sku: 'B-7' }] },
    metadata: { ip: '10.1.2.3' },
  };

  it('answers the ids of the matching patterns, in the order they were added', () => {
    const index = new EventPatternIndex<string>();
    index.add('by-type', { type: ['order.placed'] });
    index.add('other-source', { source: ['billing'] });
    index.add('by-prefix', { data: { items: { sku: [{ prefix: 'B-' }] } } });
    index.add('cheap', { data: { total: [{ numeric: ['<', 100] }] } });
    index.add('by-ip', { metadata: { ip: [{ cidr: '10.0.0.0/8' }] } });
    expect(index.match(order)).toEqual(['by-type', 'by-prefix', 'by-ip']);
    expect(index.size).toBe(5);
    expect(index.has('cheap')).toBe(true);
  });

  it('keeps fields of objects in an array to one element', () => {
    const index = new EventPatternIndex<string>();
    index.add('same', { data: { items: { sku: ['A-1'], qty: [2] } } });
    index.add('split', { data: { items: { sku: ['B-7'], qty: [2] } } });
    expect(index.match(order)).toEqual(['same']);
  });

  it('judges patterns with nothing to look up against every event', () => {
    const index = new EventPatternIndex<string>();
    index.add('no-coupon', { data: { coupon: [{ exists: false }] } });
    index.add('either', {
      $or: [{ source: ['billing'] }, { data: { note: [{ exists: false }] } }],
    });
    index.add('coupon', { data: { coupon: [{ exists: true }] } });
    expect(index.match(order)).toEqual(['no-coupon', 'either']);
    expect(index.match({ data: { coupon: 'X', note: 'n' } })).toEqual(['coupon']);
  });

  // A state's table on one field is filtered by hashes of what it holds; every mix of exact,
  // equals-ignore-case, prefix and suffix values on one field must still be read when it may match.
  it('reads a table whatever mix of values it holds on a field', () => {
    const values = ['order.placed', 'ORDER.placed', 'order.', 'ord', '', 'd', 'placed', 'x'];
    const conditions: unknown[] = [
      'order.placed',
      { 'equals-ignore-case': 'Order.Placed' },
      { prefix: 'order.' },
      { prefix: 'or' },
      { prefix: '' },
      { suffix: 'placed' },
      { suffix: 'd' },
      { suffix: '' },
      { prefix: { 'equals-ignore-case': 'ORD' } },
    ];
    const index = new EventPatternIndex<number>();
    // The loop over the patterns of each source: no pattern of another source can match an event
    // of this one, and a loop over all 2,187 for each of the 5,832 events took 30 s.
    const naive = new Map<string, NaiveLoop>();
    let id = 0;
    // Under a source of their own, so that the table on `type` holds these conditions only, in
    // the order they were added.
    for (let a = 0; a < conditions.length; a++) {
      for (let b = 0; b < conditions.length; b++) {
        for (let c = 0; c < conditions.length; c++) {
          const source = `s${a}${b}${c}`;
          const loop = new NaiveLoop();
          naive.set(source, loop);
          for (const condition of [conditions[a], conditions[b], conditions[c]]) {
            const pattern = { source: [source], type: [condition] };
            index.add(id, pattern);
            loop.add(id++, pattern);
          }
        }
      }
    }
    for (const [source, loop] of naive) {
      for (const type of values) {
        const event = { source, type };
        expect({ event, ids: index.match(event) }).toEqual({ event, ids: loop.match(event) });
      }
    }
  });

  it('reads patterns given as JSON text', () => {
    const index = new EventPatternIndex<number>();
    index.add(1, '{"source": ["checkout"], "data": {"currency": [{"equals-ignore-case": "eur"}]}}');
    expect(index.match(order)).toEqual([1]);
  });

  it('replaces the pattern under an id in place, and removes', () => {
    const index = new EventPatternIndex<string>();
    index.add('first', { source: ['checkout'] });
    index.add('second', { type: ['order.placed'] });
    index.add('first', { type: [{ prefix: 'order.' }] });
    expect(index.match(order)).toEqual(['first', 'second']);
    expect(index.match({ source: 'checkout' })).toEqual([]);
    expect(index.remove('first')).toBe(true);
    expect(index.remove('first')).toBe(false);
    expect(index.match(order)).toEqual(['second']);
    expect(index.size).toBe(1);
  });

  it('leaves the index as it was when a pattern is invalid', () => {
    const index = new EventPatternIndex<string>();
    index.add('kept', { source: ['checkout'] });
    expect(() => index.add('kept', { source: [] })).toThrow(InvalidEventPatternError);
    expect(() => index.add('new', '{"source": ')).toThrow(InvalidEventPatternError);
    expect(index.match(order)).toEqual(['kept']);
    expect(index.size).toBe(1);
  });

  it('matches nothing for what is not an object', () => {
    const index = new EventPatternIndex<string>();
    index.add('absent', { source: [{ exists: false }] });
    for (const event of [null, undefined, 'text', 42, [order]]) {
      expect(index.match(event)).toEqual([]);
    }
    expect(index.match({})).toEqual(['absent']);
  });

  it.each([
    ['an exact IP address in another notation', { ip: ['::1'] }, { ip: '0:0:0:0:0:0:0:1' }],
    ['a folded prefix', { s: [{ prefix: { 'equals-ignore-case': 'ORD' } }] }, { s: 'order' }],
    ['a folded suffix', { s: [{ suffix: { 'equals-ignore-case': 'ED' } }] }, { s: 'placed' }],
    ['a suffix', { s: [{ suffix: '.placed' }] }, { s: 'order.placed' }],
    ['an empty prefix', { s: [{ prefix: '' }] }, { s: 'x' }],
    ['an open numeric bound', { n: [{ numeric: ['>', 0] }] }, { n: 1e9 }],
    ['an equality', { n: [{ numeric: ['=', 0] }] }, { n: -0 }],
    ['zero as minus zero', { n: [0] }, { n: -0 }],
    ['one of several numbers', { n: [1.5, 2, 3] }, { n: 2 }],
    ['a boolean', { b: [false] }, { b: [true, false] }],
    ['null', { b: [null] }, { b: null }],
    ['a wildcard', { s: [{ wildcard: 'o*d' }] }, { s: 'ord' }],
    ['anything-but', { s: [{ 'anything-but': ['x'] }] }, { s: 5 }],
    ['exists inside an array', { a: { b: [{ exists: true }] } }, { a: [{}, { b: null }] }],
  ])('finds %s', (_what, pattern, event) => {
    const index = new EventPatternIndex<number>();
    index.add(1, pattern);
    index.add(2, { unrelated: ['x'] });
    expect(index.match(event)).toEqual([1]);
    expect(compilePattern(pattern)(event)).toBe(true);
  });

  it('refiles patterns as they are added and removed without changing answers', () => {
    const index = new EventPatternIndex<number>();
    const naive = new NaiveLoop();
    const sources = ['a', 'b', 'c'];
    for (let i = 0; i < 300; i++) {
      const pattern = { source: [sources[i % 3]], data: { n: [{ numeric: ['>=', i % 7] }] } };
      index.add(i, pattern);
      naive.add(i, pattern);
      if (i % 5 === 0) {
        const event = { source: sources[i % 3], data: { n: i % 9 } };
        expect(index.match(event)).toEqual(naive.match(event));
      }
      if (i % 4 === 1) {
        index.remove(i - 1);
        naive.matchers.delete(i - 1);
      }
    }
    for (const source of sources) {
      for (let n = 0; n < 10; n++) {
        expect(index.match({ source, data: { n } })).toEqual(naive.match({ source, data: { n } }));
      }
    }
  });

  it('spends the search budget as the pattern alone would, alternatives in order', () => {
    // The first alternative cannot match (no "z" is "maybe"), but pairing b.x to h.x within
    // elements of "a" runs past MAX_MATCH_STEPS first, and then the pattern matches nothing,
    // although its second alternative holds.
    const inner = Array.from({ length: 10 }, () => ({ x: 1 }));
    const keys = ['b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const element = { ...Object.fromEntries(keys.map((key) => [key, inner])), z: 'no' };
    const pattern = {
      $or: [
        { a: { ...Object.fromEntries(keys.map((key) => [key, { x: [1] }])), z: ['maybe'] } },
        { c: [1] },
      ],
    };
    const event = { a: [element], c: 1 };
    const index = new EventPatternIndex<string>();
    index.add('costly', pattern);
    index.add('plain', { c: [1] });
    expect(compilePattern(pattern)(event)).toBe(false);
    expect(index.match(event)).toEqual(['plain']);
  });

  describe('at the limits, answers as each pattern alone', () => {
    const patterns = [
      { a: [1] },
      { a: [{ exists: false }] },
      { a: { b: [1] } },
      { c: [1] },
      { c: [{ exists: false }] },
      { a: [{ exists: false }], c: [1] },
    ];
    const cyclic: unknown[] = [];
    cyclic.push(cyclic, 1);

    it.each([
      ['too deep', { a: nestedArrays(MAX_EVENT_DEPTH, 1), c: 1 }, [3]],
      ['deep enough', { a: nestedArrays(MAX_EVENT_DEPTH - 1, 1), c: 1 }, [0, 3]],
      // Only the pattern that looks into the innermost object goes too deep.
      [
        'too deep below an object',
        { a: nestedArrays(MAX_EVENT_DEPTH - 1, { b: 1 }), c: 1 },
        [1, 3, 5],
      ],
      ['cyclic', { a: cyclic, c: 1 }, [3]],
      [
        'too many elements',
        { a: new Array<number>(MAX_EVENT_ARRAY_ELEMENTS + 1).fill(1), c: 1 },
        [3],
      ],
      [
        'just enough elements',
        { a: new Array<number>(MAX_EVENT_ARRAY_ELEMENTS).fill(1), c: 1 },
        [0, 3],
      ],
    ])('%s', (_what, event, expected) => {
      const index = new EventPatternIndex<number>();
      const naive = new NaiveLoop();
      patterns.forEach((pattern, id) => {
        index.add(id, pattern);
        naive.add(id, pattern);
      });
      expect(naive.match(event)).toEqual(expected);
      expect(index.match(event)).toEqual(expected);
    });
  });
});

describe('EventPatternIndex against a loop over compilePattern, on random input', () => {
  // A seeded generator, so that a failure can be replayed.
  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const KEYS = ['a', 'b', 'c'];
  const STRINGS = [
    'x',
    'X',
    'xy',
    'yx',
    'Xy',
    '',
    'İx',
    'i̇x',
    '10.0.0.1',
    '::1',
    '0::1',
    '11.2.3.4',
  ];
  const NUMBERS = [0, 1, 2.5, -1, 7, 5e9 + 1];

  function generators(next: () => number) {
    const pick = <V>(values: readonly V[]): V => values[Math.floor(next() * values.length)];
    const chance = (p: number) => next() < p;

    const scalar = (): unknown =>
      chance(0.55) ? pick(STRINGS) : chance(0.7) ? pick(NUMBERS) : pick([true, false, null]);

    const condition = (): unknown => {
      switch (Math.floor(next() * 16)) {
        case 0:
          return { prefix: pick(['x', 'X', '', '10.', 'i̇']) };
        case 1:
          return { prefix: { 'equals-ignore-case': pick(['x', 'XY', 'İ', 'i̇']) } };
        case 2:
          return { suffix: pick(['y', 'x', '.1']) };
        case 3:
          return { suffix: { 'equals-ignore-case': pick(['Y', 'x']) } };
        case 4:
          return { 'equals-ignore-case': pick(['x', 'XY', 'İX']) };
        case 5:
          return { wildcard: pick(['x*', '*y', '*', 'x*y']) };
        case 6:
          return { 'anything-but': pick<unknown>(['x', ['x', 'xy'], 1, [0, 7]]) };
        case 7:
          return {
            'anything-but': pick<unknown>([
              { prefix: 'x' },
              { suffix: ['y'] },
              { 'equals-ignore-case': 'X' },
              { wildcard: 'x*' },
            ]),
          };
        case 8:
          return {
            numeric: pick<unknown>([
              ['>', 0],
              ['<=', 2.5],
              ['>=', -1, '<', 7],
              ['=', 1],
            ]),
          };
        case 9:
          return { exists: chance(0.5) };
        case 10:
          return { cidr: pick(['10.0.0.0/8', '::/127']) };
        default:
          return scalar();
      }
    };

    const patternObject = (depth: number): Record<string, unknown> => {
      const object: Record<string, unknown> = {};
      const fields = 1 + Math.floor(next() * 2);
      for (let i = 0; i < fields; i++) {
        const key = chance(0.1) ? `${pick(KEYS)}.${pick(KEYS)}` : pick(KEYS);
        if (depth < 2 && chance(0.4)) object[key] = patternObject(depth + 1);
        else object[key] = Array.from({ length: 1 + Math.floor(next() * 3) }, condition);
      }
      if (chance(0.15)) {
        object.$or = Array.from({ length: 2 + Math.floor(next() * 2) }, () =>
          patternObject(depth + 1),
        );
      }
      return object;
    };

    const eventValue = (depth: number): unknown => {
      const roll = next();
      if (depth >= 3 || roll < 0.45) return scalar();
      if (roll < 0.7) return eventObject(depth + 1);
      return Array.from({ length: Math.floor(next() * 4) }, () =>
        chance(0.6) ? eventObject(depth + 1) : eventValue(depth + 1),
      );
    };

    const eventObject = (depth: number): Record<string, unknown> => {
      const object: Record<string, unknown> = {};
      for (const key of KEYS) if (chance(0.6)) object[key] = eventValue(depth);
      if (chance(0.1)) object[`${pick(KEYS)}.${pick(KEYS)}`] = eventValue(depth + 1);
      return object;
    };

    return { patternObject, eventObject };
  }

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'answers as the loop for 150 patterns × 300 events (seed %i)',
    (seed) => {
      const { patternObject, eventObject } = generators(random(seed));
      const index = new EventPatternIndex<number>();
      const naive = new NaiveLoop();
      let matches = 0;
      for (let id = 0; naive.matchers.size < 150; id++) {
        const pattern = patternObject(0);
        let accepted = true;
        try {
          index.add(id, pattern);
        } catch (error) {
          if (!(error instanceof InvalidEventPatternError)) throw error;
          accepted = false;
        }
        // The loop must refuse exactly what the index refused.
        if (accepted) naive.add(id, pattern);
        else expect(() => compilePattern(pattern)).toThrow(InvalidEventPatternError);
      }
      for (let i = 0; i < 300; i++) {
        const event = eventObject(0);
        const expected = naive.match(event);
        matches += expected.length;
        expect({ event, ids: index.match(event) }).toEqual({ event, ids: expected });
      }
      // The generators are only useful if a fair share of pairs match.
      expect(matches).toBeGreaterThan(300);
    },
  );

  // Arrays of objects holding arrays, where which element a field is taken from decides the
  // match, and `exists: false` is judged within the elements chosen so far.
  it.each([11, 12, 13, 14])('answers as the loop on array-heavy events (seed %i)', (seed) => {
    const next = random(seed);
    const pick = <V>(values: readonly V[]): V => values[Math.floor(next() * values.length)];
    const condition = () =>
      pick<unknown>([1, 2, 'x', { exists: false }, { exists: true }, { 'anything-but': 1 }]);
    const pattern = (depth: number): Record<string, unknown> => {
      const object: Record<string, unknown> = {};
      for (const key of KEYS) {
        if (next() >= 0.6) continue;
        object[key] = depth < 3 && next() < 0.5 ? pattern(depth + 1) : [condition()];
      }
      return Object.keys(object).length > 0 ? object : { a: [condition()] };
    };
    const value = (depth: number): unknown => {
      if (depth >= 4 || next() < 0.25) return pick<unknown>([1, 2, 3, 'x', null]);
      if (next() < 0.5)
        return Array.from({ length: Math.floor(next() * 12) }, () => value(depth + 1));
      return Object.fromEntries(
        KEYS.filter(() => next() < 0.7).map((key) => [key, value(depth + 1)]),
      );
    };
    const index = new EventPatternIndex<number>();
    const naive = new NaiveLoop();
    for (let id = 0; id < 80; id++) {
      const generated = pattern(0);
      index.add(id, generated);
      naive.add(id, generated);
    }
    let matches = 0;
    for (let i = 0; i < 300; i++) {
      const event = { a: value(1), b: value(1), c: value(1) };
      const expected = naive.match(event);
      matches += expected.length;
      expect({ event, ids: index.match(event) }).toEqual({ event, ids: expected });
    }
    expect(matches).toBeGreaterThan(1_000);
  });
});
