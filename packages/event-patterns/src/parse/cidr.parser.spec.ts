import type { IpRange } from '../interfaces/ip-range.interface';
import { ipRangeContains } from '../match/ip-range.matcher';
import { parseCidr } from './cidr.parser';
import { parseIpAddress } from './ip-address.parser';

describe('parseCidr', () => {
  const range = (text: string): IpRange => {
    const parsed = parseCidr(text);
    if (typeof parsed === 'string') throw new Error(parsed);
    return parsed;
  };
  const contains = (cidr: string, address: string) =>
    ipRangeContains(range(cidr), parseIpAddress(address) ?? new Uint8Array());

  it.each([
    ['192.168.0.0/16', '192.168.255.255', true],
    ['192.168.0.0/16', '192.169.0.0', false],
    ['192.168.77.9/16', '192.168.0.1', true],
    ['10.0.0.0/31', '10.0.0.1', true],
    ['10.0.0.0/31', '10.0.0.2', false],
    ['10.0.0.128/25', '10.0.0.127', false],
    ['0.0.0.0/0', '255.255.255.255', true],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/33', '2001:db8:8000::', false],
    ['::/127', '::1', true],
    ['::/127', '::2', false],
    ['10.0.0.0/8', '::ffff:a01:203', true],
  ])('%s contains %s: %s', (cidr, address, expected) => {
    expect(contains(cidr, address)).toBe(expected);
  });

  it('masks the host bits of the base address', () => {
    expect(Array.from(range('192.168.77.9/20').network)).toEqual([192, 168, 64, 0]);
  });

  it.each([
    ['10.0.0.0', /one address and one prefix length/],
    ['10.0.0.0/', /must be an integer/],
    ['10.0.0.0/2.5', /must be an integer/],
    ['host/8', /not an IPv4 or IPv6 address/],
    ['10.0.0.0/32', /between 0 and 31/],
    ['::/128', /between 0 and 127/],
  ])('explains why %s is refused', (text, reason) => {
    expect(parseCidr(text)).toMatch(reason);
  });
});
