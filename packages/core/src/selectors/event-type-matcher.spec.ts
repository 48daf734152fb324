import { compileTypeMatcher, typeSelectorValues } from './event-type-matcher';

describe('compileTypeMatcher', () => {
  it.each([
    ['order.created', 'order.created', true],
    ['order.created', 'order.cancelled', false],
    ['order.*', 'order.created', true],
    ['order.*', 'order', false],
    ['order.*', 'order.created.v2', false],
    ['*.created', 'user.created', true],
    ['order.**', 'order.created.v2', true],
    ['order.**', 'order', true],
    ['**', 'anything.at.all', true],
    ['**.created', 'a.b.created', true],
    ['**.created', 'created', true],
    ['**.created', 'a.b.updated', false],
    ['a.**.z', 'a.z', true],
    ['a.**.z', 'a.b.c.z', true],
    ['a.**.z', 'a.b.c', false],
    ['user-events.*', 'user-events.x', true],
  ])('%s matches %s: %s', (selector, type, expected) => {
    expect(compileTypeMatcher(selector)(type)).toBe(expected);
  });

  it('rejects selectors that are not dotted words', () => {
    expect(() => compileTypeMatcher('order..created')).toThrow(/invalid/);
    expect(() => compileTypeMatcher('order.cre*')).toThrow(/"\*" for one segment/);
  });
});

describe('typeSelectorValues', () => {
  it.each([
    [['order.created'], ['order.created']],
    [['order.*'], [{ prefix: 'order.' }]],
    [['order.**'], ['order', { prefix: 'order.' }]],
    [['*.created'], [{ suffix: '.created' }]],
    [['**.created'], [{ suffix: 'created' }]],
    [
      ['a', 'a', 'b.*', 'b.*'],
      ['a', { prefix: 'b.' }],
    ],
  ])('covers %j with %j', (selectors, values) => {
    expect(typeSelectorValues(selectors)).toEqual(values);
  });

  it('has no values when a selector takes every type', () => {
    expect(typeSelectorValues(['order.created', '**'])).toBeUndefined();
    expect(typeSelectorValues(['*'])).toBeUndefined();
  });
});
