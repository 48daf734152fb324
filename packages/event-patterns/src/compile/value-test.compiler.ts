import type { IpRange } from '../interfaces/ip-range.interface';
import type { ValueTest } from '../interfaces/compiled-branch.interface';
import type { JsonScalar, PatternCondition } from '../interfaces/pattern-condition.interface';
import { ipRangeContains } from '../match/ip-range.matcher';
import { ipAddressKey, parseIpAddress } from '../parse/ip-address.parser';
import { compileCondition } from './condition-test.compiler';

const ANY_VALUE: ValueTest = () => true;

/**
 * One test for a field's alternatives. Collections are only built for the kinds of alternatives
 * present, and a lone exact value compares directly: with thousands of patterns, what each keeps
 * decides how much of them stays in the processor's caches.
 */
export function compileTest(conditions: readonly PatternCondition[]): ValueTest {
  if (conditions.some((c) => c.kind === 'exists')) return ANY_VALUE;
  let strings: Set<string> | undefined;
  let numbers: Set<number> | undefined;
  let scalars: Set<boolean | null> | undefined;
  let ipAddresses: Set<string> | undefined;
  let ipRanges: IpRange[] | undefined;
  let others: ValueTest[] | undefined;
  for (const condition of conditions) {
    if (condition.kind === 'exact') {
      const { value } = condition;
      // EventBridge reads an exact string that is an IP address as that address, so any notation
      // of it in the event matches ("::1" and "0:0:0:0:0:0:0:1").
      const address = typeof value === 'string' ? parseIpAddress(value) : undefined;
      if (address) (ipAddresses ??= new Set()).add(ipAddressKey(address));
      else if (typeof value === 'string') (strings ??= new Set()).add(value);
      else if (typeof value === 'number') (numbers ??= new Set()).add(value);
      else (scalars ??= new Set()).add(value);
    } else if (condition.kind === 'cidr') {
      (ipRanges ??= []).push(condition.range);
    } else {
      (others ??= []).push(compileCondition(condition));
    }
  }
  const kinds = [strings, numbers, scalars, ipAddresses, ipRanges, others].filter(Boolean).length;
  if (kinds === 1) {
    const exact: Set<JsonScalar> | undefined = strings ?? numbers ?? scalars;
    if (exact?.size === 1) {
      const [only] = exact;
      // Within JSON values, === agrees with the sets' SameValueZero (no NaN; 0 and -0 are equal).
      return (value) => value === only;
    }
    if (others?.length === 1) return others[0];
  }
  const readsIp = ipAddresses !== undefined || ipRanges !== undefined;
  return (value) => {
    if (typeof value === 'string') {
      if (strings?.has(value)) return true;
      if (readsIp) {
        const address = parseIpAddress(value);
        if (address && ipAddresses?.has(ipAddressKey(address))) return true;
        if (address && ipRanges?.some((range) => ipRangeContains(range, address))) return true;
      }
    } else if (typeof value === 'number' ? numbers?.has(value) : scalars?.has(value)) {
      return true;
    }
    if (others) for (const other of others) if (other(value)) return true;
    return false;
  };
}
