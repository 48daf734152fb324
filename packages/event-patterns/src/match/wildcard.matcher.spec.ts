import { compileWildcard } from './wildcard.matcher';

describe('compileWildcard', () => {
  it.each([
    ['*', 'anything', true],
    ['x*', 'x', true],
    ['*x', 'yx', true],
    ['*x*', 'axb', true],
    ['*x*', 'ab', false],
    ['a*a*a', 'aaa', true],
    ['a*a*a', 'aa', false],
    ['a*bc*bc', 'abcbc', true],
    ['a*bc*bc', 'abcxbc', true],
    ['a*bc*bc', 'abc', false],
    ['\\*\\\\', '*\\', true],
    ['ö*ß', 'öxyzß', true],
  ])('%s matches %j: %s', (pattern, value, expected) => {
    expect(compileWildcard(pattern)(value)).toBe(expected);
  });
});
