import { compilePattern } from '../compile/event-pattern.compiler';
import { EventPatternIndex } from './event-pattern.index';

/**
 * Where we knowingly answer otherwise than aws/event-ruler 2.1.0 (see the README), because
 * EventBridge documents the other answer. The bench prints the same cases through both
 * (`bench/patterns.bench.ts`, "Where the two knowingly differ"). Each case: pattern, event, what
 * EventBridge documents (and we answer), what event-ruler 2.1.0 answers.
 */
const cases: [what: string, pattern: object, event: object, ours: boolean, eventRuler: boolean][] =
  [
    // Numeric matching: JSON numbers within ±5.0e9, at most six decimals.
    ['a number at the limit', { n: [{ numeric: ['>', 0] }] }, { n: 5e9 }, true, true],
    ['a number past the limit', { n: [{ numeric: ['>', 0] }] }, { n: 6e9 }, false, true],
    ['a number past the negative limit', { n: [{ numeric: ['<', 0] }] }, { n: -6e9 }, false, true],
    ['six decimals', { n: [{ numeric: ['<', 2] }] }, { n: 1.234567 }, true, true],
    ['seven decimals', { n: [{ numeric: ['<', 2] }] }, { n: 1.2345678 }, false, true],
    ['a tiny number', { n: [{ numeric: ['>', 0] }] }, { n: 1e-7 }, false, true],
    // $or: the pattern matches when any alternative does.
    [
      'the first of two $or alternatives sharing a value',
      { $or: [{ status: ['NEW', 'CANCELLED'] }, { status: ['NEW', 'REFUNDED'] }] },
      { status: 'CANCELLED' },
      true,
      true,
    ],
    [
      'the second of two $or alternatives sharing a value',
      { $or: [{ status: ['NEW', 'CANCELLED'] }, { status: ['NEW', 'REFUNDED'] }] },
      { status: 'REFUNDED' },
      true,
      false,
    ],
    [
      'the shared value itself',
      { $or: [{ status: ['NEW', 'CANCELLED'] }, { status: ['NEW', 'REFUNDED'] }] },
      { status: 'NEW' },
      true,
      true,
    ],
    [
      'an alternative that contains another',
      { $or: [{ status: ['NEW'] }, { status: ['NEW', 'REFUNDED'] }] },
      { status: 'REFUNDED' },
      true,
      false,
    ],
  ];

describe('where we differ from aws/event-ruler 2.1.0, as EventBridge documents', () => {
  it.each(cases)('%s: %j vs %j -> %s', (_what, pattern, event, ours) => {
    expect(compilePattern(pattern)(event)).toBe(ours);
    const index = new EventPatternIndex<string>();
    index.add('pattern', pattern);
    index.add('other', { status: ['OTHER'] });
    expect(index.match(event)).toEqual(ours ? ['pattern'] : []);
  });
});
