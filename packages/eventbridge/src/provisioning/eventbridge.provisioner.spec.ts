import { validatePattern, type EventPattern } from '@nestjs-events/core';
import { EventBridgeProvisioner, type QueueToProvision } from './eventbridge.provisioner';
import type { RulePattern } from './rule-pattern.builder';

/** Reaches the rule pattern without AWS: building it sends nothing. */
class PatternOnly extends EventBridgeProvisioner {
  constructor() {
    super({} as never, 'bus');
  }

  patternFor(subscriptions: QueueToProvision['subscriptions']): RulePattern {
    return this.rulePattern({
      options: { name: 'q' },
      eventTypes: [...new Set(subscriptions.flatMap((s) => s.eventTypes))],
      subscriptions,
    });
  }
}

const subscription = (eventTypes: string[], pattern?: EventPattern) =>
  ({ eventTypes, pattern }) as unknown as QueueToProvision['subscriptions'][number];

describe('EventBridgeProvisioner.rulePattern', () => {
  const provisioner = new PatternOnly();

  it("narrows the rule with the handlers' patterns", () => {
    expect(
      provisioner.patternFor([
        subscription(['payment.made'], { data: { amount: [{ numeric: ['>=', 100_000] }] } }),
      ]),
    ).toEqual({
      'detail-type': ['payment.made'],
      detail: { data: { amount: [{ numeric: ['>=', 100_000] }] } },
    });
  });

  it('selects the types only when the union is one EventBridge would refuse', () => {
    // Each wildcard is simple enough alone; on the same field of one rule they are too complex.
    const union = provisioner.patternFor([
      subscription(['a'], { data: { name: [{ wildcard: '*a*a*a*' }] } }),
      subscription(['b'], { data: { name: [{ wildcard: '*a*a*a*a*' }] } }),
    ]);
    expect(union).toEqual({ 'detail-type': ['a', 'b'] });
    expect(() => validatePattern(union)).not.toThrow();
  });

  it("selects the types only when the union is longer than EventBridge's default quota", () => {
    expect(
      provisioner.patternFor([
        subscription(['a'], { data: { sku: ['x'.repeat(1100)] } }),
        subscription(['b'], { data: { sku: ['y'.repeat(1100)] } }),
      ]),
    ).toEqual({ 'detail-type': ['a', 'b'] });
  });
});
