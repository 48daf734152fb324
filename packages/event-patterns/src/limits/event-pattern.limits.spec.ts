import { InvalidEventPatternError } from '../errors/invalid-event-pattern.error';
import {
  MAX_EVENT_ARRAY_ELEMENTS,
  MAX_EVENT_DEPTH,
  MAX_PATTERN_DEPTH,
  MAX_PATTERN_FIELDS,
  MAX_PATTERN_TEXT_LENGTH,
  MAX_PATTERN_TOTAL_FIELDS,
} from './event-pattern.limits';
import { compilePattern } from '../compile/event-pattern.compiler';
import { validatePattern } from '../parse/event-pattern.validator';
import { nestedArrays } from '../testing/nested-value.factory';

function nestedPattern(objects: number): object {
  let pattern: object = { leaf: ['x'] };
  for (let i = 1; i < objects; i++) pattern = { a: pattern };
  return pattern;
}

describe('limits on patterns', () => {
  it(`accepts ${MAX_PATTERN_DEPTH} nested objects and refuses more`, () => {
    expect(() => validatePattern(nestedPattern(MAX_PATTERN_DEPTH))).not.toThrow();
    expect(() => validatePattern(nestedPattern(MAX_PATTERN_DEPTH + 1))).toThrow(
      /nest more than 100 levels deep/,
    );
  });

  it('refuses a pattern nested far deeper with an InvalidEventPatternError, not a stack overflow', () => {
    expect(() => validatePattern(nestedPattern(50_000))).toThrow(InvalidEventPatternError);
    const text = `${'{"a":'.repeat(50_000)}["x"]${'}'.repeat(50_000)}`;
    expect(() => compilePattern(text)).toThrow(InvalidEventPatternError);
  });

  it(`refuses pattern text over ${MAX_PATTERN_TEXT_LENGTH} characters before parsing it`, () => {
    const text = (length: number) => `{"a":["${'x'.repeat(length - 10)}"]}`;
    expect(text(MAX_PATTERN_TEXT_LENGTH)).toHaveLength(MAX_PATTERN_TEXT_LENGTH);
    expect(() => validatePattern(text(MAX_PATTERN_TEXT_LENGTH))).not.toThrow();
    expect(() => validatePattern(text(MAX_PATTERN_TEXT_LENGTH + 1))).toThrow(
      /JSON text is 262145 characters long, over the limit of 262144/,
    );
  });

  it('judges the wildcards of one field together, however many there are', () => {
    // 16,000 wildcards: refused as too complex, not after minutes of pairwise comparisons.
    const pattern = { a: Array.from({ length: 16_000 }, (_, i) => ({ wildcard: `x${i}*y` })) };
    expect(() => validatePattern(pattern)).toThrow(/wildcards are too complex/);
  });

  it('counts $or alternatives as levels', () => {
    let pattern: object = { leaf: ['x'] };
    for (let i = 0; i < MAX_PATTERN_DEPTH; i++) pattern = { $or: [pattern, { other: ['y'] }] };
    expect(() => validatePattern(pattern)).toThrow(InvalidEventPatternError);
  });

  const fields = (count: number) =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [`f${i}`, [i]]));

  it(`accepts ${MAX_PATTERN_FIELDS} fields and refuses more`, () => {
    expect(() => validatePattern(fields(MAX_PATTERN_FIELDS))).not.toThrow();
    expect(() => validatePattern(fields(MAX_PATTERN_FIELDS + 1))).toThrow(
      /names more than 1000 fields; split/,
    );
    expect(() =>
      validatePattern({ $or: [fields(MAX_PATTERN_FIELDS + 1), { other: ['y'] }] }),
    ).toThrow(/more than 1000 fields in one \$or alternative/);
  });

  it(`refuses $or expansions of more than ${MAX_PATTERN_TOTAL_FIELDS} fields in all`, () => {
    // Three $or of ten alternatives make 1,000 alternatives, each with the fields beside them.
    const or = (name: string) => Array.from({ length: 10 }, (_, i) => ({ [name]: [i] }));
    const pattern = (common: number) => ({
      ...fields(common),
      x: { $or: or('a') },
      y: { $or: or('b') },
      z: { $or: or('c') },
    });
    expect(() => validatePattern(pattern(97))).not.toThrow();
    expect(() => validatePattern(pattern(98))).toThrow(/more than 100000 fields in all/);
  });
});

describe('limits on events', () => {
  const matchesA = compilePattern({ a: [1] });
  const absentA = compilePattern({ a: [{ exists: false }] });

  it(`reads ${MAX_EVENT_DEPTH} levels and no more`, () => {
    // `a` itself is level 1; each array adds one.
    expect(matchesA({ a: nestedArrays(MAX_EVENT_DEPTH - 1, 1) })).toBe(true);
    expect(matchesA({ a: nestedArrays(MAX_EVENT_DEPTH, 1) })).toBe(false);
    // Not even absence holds: the event is not judged at all.
    expect(absentA({ a: nestedArrays(MAX_EVENT_DEPTH, 1) })).toBe(false);
    // Paths that do not lead there are judged as usual.
    const other = compilePattern({ other: [1] });
    expect(other({ a: nestedArrays(MAX_EVENT_DEPTH, 1), other: 1 })).toBe(true);
  });

  it('does not overflow the stack on very deep or cyclic events', () => {
    expect(matchesA({ a: nestedArrays(100_000, 1) })).toBe(false);
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    expect(matchesA({ a: cyclic })).toBe(false);
    const object: Record<string, unknown> = {};
    object.a = object;
    expect(compilePattern({ a: { a: { a: { b: [1] } } } })(object)).toBe(false);
  });

  it(`reads ${MAX_EVENT_ARRAY_ELEMENTS} array elements under a path and no more`, () => {
    const elements = (count: number) => new Array<number>(count).fill(2);
    expect(matchesA({ a: [...elements(MAX_EVENT_ARRAY_ELEMENTS - 1), 1] })).toBe(true);
    expect(matchesA({ a: [...elements(MAX_EVENT_ARRAY_ELEMENTS), 1] })).toBe(false);
    // Nested arrays count together, the inner arrays being elements of the outer one.
    const half = MAX_EVENT_ARRAY_ELEMENTS / 2;
    expect(matchesA({ a: [elements(half - 1), [...elements(half - 2), 1]] })).toBe(true);
    expect(matchesA({ a: [elements(half), [...elements(half - 2), 1]] })).toBe(false);
  });

  it('bounds shared references that would expand exponentially', () => {
    let shared: unknown = 1;
    for (let i = 0; i < 60; i++) shared = [shared, shared];
    const started = performance.now();
    expect(matchesA({ a: shared })).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  describe('pairing fields within array elements', () => {
    // Fields b.x to h.x each sit in their own inner array of ten elements, so trying every
    // combination would take 10^7 steps; `z` decides which outer element can match.
    const inner = Array.from({ length: 10 }, () => ({ x: 1 }));
    const keys = ['b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const element = (z: string) => ({ ...Object.fromEntries(keys.map((key) => [key, inner])), z });
    const pattern = compilePattern({
      a: { ...Object.fromEntries(keys.map((key) => [key, { x: [1] }])), z: ['yes'] },
    });

    it('stops a search that would run for minutes, without matching', () => {
      const started = performance.now();
      expect(pattern({ a: [element('no'), element('yes')] })).toBe(false);
      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it('matches when the search finds the element early', () => {
      expect(pattern({ a: [element('yes'), element('no')] })).toBe(true);
    });

    it('pairs thousands of elements in about one step per element', () => {
      // Elements 0 to 2,499 and 4,999 are "A", and only 2,500 on have the quantity; trying each
      // "A" against each quantity would take 6 million steps.
      const items = Array.from({ length: 5_000 }, (_, i) => ({
        sku: i < 2_500 || i === 4_999 ? 'A' : 'B',
        qty: i,
      }));
      const late = compilePattern({ items: { sku: ['A'], qty: [{ numeric: ['>=', 2_500] }] } });
      expect(late({ items })).toBe(true);
      const never = compilePattern({ items: { sku: ['A'], qty: [{ numeric: ['=', 2_600] }] } });
      expect(never({ items })).toBe(false);
    });
  });
});
