/**
 * One of 31 bits for a slot: OR-ed over a set of slots, a filter that says without reading the
 * set when two of them share no slot. Never the sign bit, as for `hashBit`.
 */
export function slotBit(slot: number): number {
  return 1 << (slot % 31);
}

/** The bits of the slots flagged true. */
export function flaggedSlotBits(flags: readonly boolean[]): number {
  let bits = 0;
  for (let slot = 0; slot < flags.length; slot++) if (flags[slot]) bits |= slotBit(slot);
  return bits;
}
