import type { EventLeaf } from '../interfaces/event-leaves.interface';
import type { JsonScalar } from '../interfaces/pattern-condition.interface';

/**
 * One of 31 bits for a value, from a hash that agrees with `===` on JSON scalars: a filter that
 * says when a value cannot be among a table's keys. Never the sign bit, so that -1 stays apart.
 */
export function hashBit(value: JsonScalar): number {
  let hash: number;
  if (typeof value === 'string') {
    return partHashBit(value, 0, value.length);
  } else if (typeof value === 'number') {
    // Integers hash as themselves, -0 as 0; others only need equal values to hash alike.
    hash = Number.isInteger(value) ? value | 0 : Math.floor(value * 1e6) | 0;
  } else {
    hash = value === null ? 1 : value ? 2 : 3;
  }
  return 1 << ((hash >>> 0) % 31);
}

/** `hashBit(value.slice(start, end))`, without making that string. */
export function partHashBit(value: string, start: number, end: number): number {
  let hash = STRING_HASH_SEED;
  for (let i = start; i < end; i++) hash = stringHashStep(hash, value.charCodeAt(i));
  return bitOfHash(hash);
}

/** The string hash before any character; `stringHashStep` adds one. */
export const STRING_HASH_SEED = 0x811c9dc5;

export function stringHashStep(hash: number, charCode: number): number {
  return Math.imul(hash ^ charCode, 16777619);
}

export function bitOfHash(hash: number): number {
  return 1 << ((hash >>> 0) % 31);
}

/**
 * The bits of the string values' first `length` characters, or last `-length` when negative:
 * what a table of prefixes (or suffixes) at least that long is filtered with. Values shorter
 * than that have no such affix, and no bit.
 */
export function affixHashBits(leaves: readonly EventLeaf[], length: number): number {
  const size = Math.abs(length);
  let bits = 0;
  for (const { value } of leaves) {
    if (typeof value !== 'string' || value.length < size) continue;
    bits |=
      length > 0
        ? partHashBit(value, 0, size)
        : partHashBit(value, value.length - size, value.length);
  }
  return bits;
}

/** The bits of all the values; never 0, so that 0 can stand for "not computed yet". */
export function hashBits(leaves: readonly EventLeaf[]): number {
  let bits = 0;
  for (const { value } of leaves) bits |= hashBit(value);
  return bits;
}

/**
 * The bits of the lowered string values, as an `equals-ignore-case` table looks them up; with the
 * sign bit set, which no table's bits have, so that it is never 0 either.
 */
export function foldedHashBits(leaves: readonly EventLeaf[]): number {
  let bits = 1 << 31;
  for (const { value } of leaves) {
    if (typeof value === 'string') bits |= hashBit(value.toLowerCase());
  }
  return bits;
}
