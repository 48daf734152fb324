import { MAX_RULE_NAME_LENGTH, ruleNameFor } from './rule.naming';

describe('ruleNameFor', () => {
  it('appends -events to the queue name', () => {
    expect(ruleNameFor('billing-orders')).toBe('billing-orders-events');
    expect(ruleNameFor('orders.fifo')).toBe('orders.fifo-events');
  });

  it('replaces characters rule names do not allow', () => {
    expect(ruleNameFor('team/orders:q')).toBe('team-orders-q-events');
  });

  it('keeps a name of exactly 64 characters as it is', () => {
    const queue = 'q'.repeat(MAX_RULE_NAME_LENGTH - '-events'.length);
    expect(ruleNameFor(queue)).toBe(`${queue}-events`);
    expect(ruleNameFor(queue)).toHaveLength(MAX_RULE_NAME_LENGTH);
  });

  it('shortens a long name to 64 characters, keeping long names that share a start apart', () => {
    const first = `${'a'.repeat(70)}-one`;
    const second = `${'a'.repeat(70)}-two`;
    expect(ruleNameFor(first)).toHaveLength(MAX_RULE_NAME_LENGTH);
    expect(ruleNameFor(first)).toMatch(/^a{48}-[0-9a-f]{8}-events$/);
    expect(ruleNameFor(first)).not.toBe(ruleNameFor(second));
    expect(ruleNameFor(first)).toBe(ruleNameFor(first));
  });
});
