import type { IpRange } from '../interfaces/ip-range.interface';
import { parseIpAddress } from './ip-address.parser';

/** Parses `address/prefix-length`; returns a reason instead of throwing, for the caller to place. */
export function parseCidr(text: string): IpRange | string {
  const parts = text.split('/');
  if (parts.length !== 2) {
    return `malformed CIDR ${JSON.stringify(text)}: write one address and one prefix length, as in "10.0.0.0/24"`;
  }
  const [address, bits] = parts as [string, string];
  if (!/^[+-]?\d+$/.test(bits)) {
    return `malformed CIDR ${JSON.stringify(text)}: the prefix length after "/" must be an integer`;
  }
  const prefixLength = Number(bits);
  const network = parseIpAddress(address);
  if (!network) {
    return `${JSON.stringify(address)} in CIDR ${JSON.stringify(text)} is not an IPv4 or IPv6 address`;
  }
  // EventBridge stops one bit short of a single address; an exact address string in the value
  // list matches that address in any notation, so point there instead.
  const max = network.length * 8 - 1;
  if (prefixLength < 0 || prefixLength > max) {
    return (
      `prefix length ${bits} in CIDR ${JSON.stringify(text)} must be between 0 and ${max}; ` +
      `to match one address, list it as a plain value: [${JSON.stringify(address)}]`
    );
  }
  for (let bit = prefixLength; bit < network.length * 8; bit++) {
    network[bit >> 3] &= ~(0x80 >> (bit & 7));
  }
  return { network, prefixLength };
}
