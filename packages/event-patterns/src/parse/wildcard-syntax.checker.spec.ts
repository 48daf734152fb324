import { wildcardSyntaxError } from './wildcard-syntax.checker';

describe('wildcardSyntaxError', () => {
  it.each([
    ['a**b', /consecutive "\*\*" at index 1/],
    ['**', /consecutive/],
    ['a\\nb', /invalid escape at index 1/],
    ['\\', /invalid escape at index 0/],
  ])('finds the error in %j', (pattern, problem) => {
    expect(wildcardSyntaxError(pattern)).toMatch(problem);
  });

  it.each(['', 'plain', '*a*b*', '\\**', '*\\*', '\\\\*'])('accepts %j', (pattern) => {
    expect(wildcardSyntaxError(pattern)).toBeUndefined();
  });
});
