/** A block of IPv4 (4 bytes) or IPv6 (16 bytes) addresses sharing their first `prefixLength` bits. */
export interface IpRange {
  readonly network: Uint8Array;
  readonly prefixLength: number;
}
