import { wildcardComplexity } from './wildcard-complexity.evaluator';

// The worst-case number of wildcard prefixes one value keeps matching at once, the measure that
// event-ruler's complexity evaluator reports; values are scanned with their JSON quotes.
describe('wildcardComplexity', () => {
  it.each([
    [['plain'], 1],
    [['*'], 2],
    [['q*r'], 2],
    [['*qr'], 2],
    [['*qq'], 3],
    [['q*rrr'], 4],
    [['*qr*qs'], 4],
    [['q*r*rr'], 5],
    [['*q*q*q*q*q*q*q*q*'], 17],
    [['q*qqq', 'qq*qq'], 7],
    [['qr*st', 'qr*uv', 'qr*wx'], 6],
    [['*.bif', '*.tiff', '*.tif', '*.svs'], 8],
    [['/home/*/doc.txt'], 2],
    [['/home/*/d/d/d/d/d/doc.txt'], 7],
    [['*:*:*:*:*'], 9],
    [['*:*:*:*:*:event-bus/*'], 11],
  ])('%j -> %d', (patterns, expected) => {
    expect(wildcardComplexity(patterns, 100)).toBe(expected);
  });

  it('counts a repeated wildcard once', () => {
    expect(wildcardComplexity(['*qq', '*qq'], 100)).toBe(3);
  });

  it('stops once past the limit', () => {
    expect(wildcardComplexity(['*q*q*q*q*q*q*q*q*'], 5)).toBeGreaterThan(5);
  });
});
