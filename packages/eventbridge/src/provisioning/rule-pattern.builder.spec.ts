import { compileTypeMatcher } from '@nestjs-events/core/transport';
import { buildRulePattern, MATCH_ALL_PATTERN } from './rule-pattern.builder';

/** Whether `type` passes the built pattern's `detail-type` filter (the subset of the language used). */
function passes(pattern: ReturnType<typeof buildRulePattern>, type: string): boolean {
  const values = pattern['detail-type'] as Array<string | { prefix?: string; suffix?: string }>;
  if (!values) return true;
  return values.some((value) =>
    typeof value === 'string'
      ? value === type
      : value.prefix !== undefined
        ? type.startsWith(value.prefix)
        : type.endsWith(value.suffix!),
  );
}

describe('buildRulePattern', () => {
  it('lists exact types as they are', () => {
    expect(buildRulePattern(['order.created', 'order.cancelled'])).toEqual({
      'detail-type': ['order.created', 'order.cancelled'],
    });
  });

  it('turns a trailing wildcard into a prefix', () => {
    expect(buildRulePattern(['order.*', 'invoice.paid'])).toEqual({
      'detail-type': [{ prefix: 'order.' }, 'invoice.paid'],
    });
  });

  it('keeps the bare type of a trailing `**`, which may stand for no segment', () => {
    expect(buildRulePattern(['billing.**'])).toEqual({
      'detail-type': ['billing', { prefix: 'billing.' }],
    });
  });

  it('uses the part before the first wildcard of an inner one', () => {
    expect(buildRulePattern(['order.*.shipped'])).toEqual({
      'detail-type': [{ prefix: 'order.' }],
    });
  });

  it('turns a leading wildcard into a suffix', () => {
    expect(buildRulePattern(['*.created'])).toEqual({ 'detail-type': [{ suffix: '.created' }] });
    expect(buildRulePattern(['**.created'])).toEqual({ 'detail-type': [{ suffix: 'created' }] });
  });

  it('matches everything for `**`, without a detail-type', () => {
    expect(buildRulePattern(['order.created', '**'])).toEqual(MATCH_ALL_PATTERN);
    expect(buildRulePattern(['*.*'])).toEqual(MATCH_ALL_PATTERN);
    expect(MATCH_ALL_PATTERN).not.toHaveProperty('detail-type');
  });

  it('lists each value once', () => {
    expect(buildRulePattern(['a.b', 'a.*', 'a.b', 'a.**'])).toEqual({
      'detail-type': ['a.b', { prefix: 'a.' }, 'a'],
    });
  });

  it('refuses an empty list, which would match nothing', () => {
    expect(() => buildRulePattern([])).toThrow(RangeError);
  });

  it('never lets a rule drop a type its selectors take', () => {
    const selectors = ['order.*', 'billing.**', '*.created', '**.deleted', 'a.*.c', 'x.y'];
    const types = [
      'order.created',
      'order.a.b',
      'billing',
      'billing.invoice.paid',
      'user.created',
      'deleted',
      'a.deleted',
      'a.b.c',
      'x.y',
      'x.z',
      'other',
    ];
    for (const selector of selectors) {
      const pattern = buildRulePattern([selector]);
      const matches = compileTypeMatcher(selector);
      for (const type of types.filter(matches)) {
        expect({ selector, type, passes: passes(pattern, type) }).toEqual({
          selector,
          type,
          passes: true,
        });
      }
    }
  });
});
