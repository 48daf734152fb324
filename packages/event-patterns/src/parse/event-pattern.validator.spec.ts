import {
  describeRefusals,
  errorOf,
  fieldWith,
  type RefusalRow,
} from '../testing/pattern-refusal.helper';
import { validatePattern } from './event-pattern.validator';

const refused: Record<string, RefusalRow[]> = {
  'document shape': [
    ['text that is not JSON', '{"source": ["a"]', '', /not valid JSON/],
    ['a JSON array', '["a"]', '', /must be a JSON object/],
    ['JSON null', 'null', '', /must be a JSON object/],
    ['a JSON number', '42', '', /must be a JSON object/],
    ['an empty pattern', {}, '', /empty objects are not allowed/],
    ['an empty nested object', { data: {} }, 'data', /empty objects are not allowed/],
    ['a bare string value', { source: 'checkout' }, 'source', /wrap it: \["checkout"\]/],
    ['a bare number value', { data: { amount: 42 } }, 'data.amount', /wrap it: \[42\]/],
    ['a null value', { source: null }, 'source', /list of alternatives or a nested object/],
    ['an empty value list', { resources: [] }, 'resources', /empty value lists/],
    ['a nested value list', fieldWith(['x']), 'data.amount', /arrays do not nest/],
    ['a NaN value', fieldWith(Number.NaN), 'data.amount', /not a JSON number/],
  ],
  'operator objects': [
    ['no operator', fieldWith({}), 'data.amount', /exactly one operator/],
    [
      'two operators',
      fieldWith({ prefix: 'a', suffix: 'b' }),
      'data.amount',
      /exactly one operator/,
    ],
    [
      'an unknown operator',
      fieldWith({ contains: 'x' }),
      'data.amount',
      /unknown operator "contains"/,
    ],
    [
      'an upper-case operator',
      fieldWith({ EXISTS: true }),
      'data.amount',
      /case-sensitive, write "exists"/,
    ],
    ['NUMERIC', fieldWith({ NUMERIC: ['=', 5] }), 'data.amount', /write "numeric"/],
  ],
  $or: [
    ['an object', { $or: { a: ['x'] } }, '$or', /list of at least two pattern objects/],
    ['one alternative', { $or: [{ a: ['x'] }] }, '$or', /at least two/],
    ['lists as alternatives', { $or: [['x'], ['y']] }, '$or', /at least two pattern objects/],
    ['inside an object', { data: { $or: [{ a: ['x'] }] } }, 'data.$or', /at least two/],
    ['an empty alternative', { $or: [{}, { a: ['x'] }] }, '$or[0]', /empty objects/],
    [
      'a bad value inside',
      { data: { $or: [{ a: ['x'] }, { b: [] }] } },
      'data.$or[1].b',
      /empty value lists/,
    ],
    [
      'an operator as a field',
      { $or: [{ numeric: [1] }, { b: ['x'] }] },
      '$or[0].numeric',
      /operator keyword/,
    ],
    [
      'a nested operator field',
      { $or: [{ a: { prefix: ['x'] } }, { b: ['y'] }] },
      '$or[0].a.prefix',
      /keyword/,
    ],
    ['a comparison as a field', { $or: [{ a: ['x'] }, { '>=': [1] }] }, '$or[1].>=', /keyword/],
    [
      'a nested $or',
      { $or: [{ a: ['x'] }, { $or: [{ b: ['y'] }] }] },
      '$or[1].$or',
      /at least two/,
    ],
  ],
};

describeRefusals('validatePattern refuses (%s)', refused);

describe('validatePattern accepts', () => {
  it.each([
    [
      'operator names as fields outside $or',
      { prefix: ['x'], data: { numeric: [{ numeric: ['>', 0] }] } },
    ],
    [
      'empty prefix, suffix and wildcard',
      { a: [{ prefix: '' }, { suffix: '' }, { wildcard: '' }] },
    ],
    ['an empty anything-but wildcard', { a: [{ 'anything-but': { wildcard: '' } }] }],
    ['an empty anything-but prefix list', { a: [{ 'anything-but': { prefix: [] } }] }],
    [
      'mask lengths at their limits',
      { a: [{ cidr: '0.0.0.0/0' }, { cidr: '10.0.0.0/31' }, { cidr: '::/127' }] },
    ],
    [
      'numeric bounds at the limits',
      { a: [{ numeric: ['>=', -5e9, '<=', 5e9] }, { numeric: ['=', 0.000001] }] },
    ],
    ['large exact numbers', { account: [123456789012, 1e20] }],
    ['every scalar kind', { a: ['x', 1, -0.5, true, false, null, ''] }],
    ['duplicate alternatives', { a: ['x', 'x', { prefix: 'x' }, { prefix: 'x' }] }],
    ['undefined fields, as JSON.stringify drops them', { a: ['x'], b: undefined }],
    [
      '$or with many alternatives',
      { $or: [{ a: ['1'] }, { b: ['2'] }, { c: ['3'] }, { d: { e: ['4'] } }] },
    ],
    [
      'an $or nested in an $or alternative',
      { x: { $or: [{ a: ['1'] }, { $or: [{ b: ['2'] }, { c: ['3'] }] }] } },
    ],
    [
      'two overlapping wildcards',
      { key: [{ wildcard: '*/sync/*.bif' }, { wildcard: '*/sync/*.tif' }] },
    ],
    [
      'a repeating literal after a star',
      { key: [{ wildcard: '/Users/*/dir/dir/dir/dir/dir/doc.txt' }] },
    ],
    ['an ARN wildcard', { arn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] }],
    ['escapes', { a: [{ wildcard: '\\*\\\\*' }] }],
    ['JSON text', '{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}'],
  ])('%s', (_what, pattern) => {
    expect(() => validatePattern(pattern)).not.toThrow();
  });

  it('caps how far $or expands', () => {
    const alternatives = (depth: number): object =>
      depth === 0
        ? { leaf: ['x'] }
        : { $or: [{ [`a${depth}`]: alternatives(depth - 1) }, { [`b${depth}`]: ['y'] }] };
    const wide: Record<string, object> = {};
    for (let i = 0; i < 11; i++) wide[`f${i}`] = { $or: [{ a: ['1'] }, { b: ['2'] }] };
    expect(() => validatePattern(alternatives(12))).not.toThrow();
    expect(errorOf(wide).message).toMatch(/more than 1000 alternative patterns/);
  });
});
