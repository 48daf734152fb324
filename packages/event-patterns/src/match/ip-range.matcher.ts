import type { IpRange } from '../interfaces/ip-range.interface';

/** Whether `address` (bytes from `parseIpAddress`) lies in `range`; IPv4 is never in IPv6. */
export function ipRangeContains(range: IpRange, address: Uint8Array): boolean {
  const { network, prefixLength } = range;
  if (address.length !== network.length) return false;
  const fullBytes = prefixLength >> 3;
  for (let i = 0; i < fullBytes; i++) {
    if (address[i] !== network[i]) return false;
  }
  const rest = prefixLength & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[fullBytes] & mask) === network[fullBytes];
}
