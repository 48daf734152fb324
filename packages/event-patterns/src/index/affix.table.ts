import type { Reach, State } from './index-state.model';
import { Keyed } from './keyed.table';
import { STRING_HASH_SEED, bitOfHash, stringHashStep } from './value.hasher';

export type AffixKind = 'prefixes' | 'foldedPrefixes' | 'suffixes' | 'foldedSuffixes';

/**
 * Affixes by length, so that a value is looked up once per distinct affix length. The lengths and
 * their tables are two arrays side by side rather than a Map: a table holds few lengths, and a
 * Map would be one more object to reach, rarely in the processor's caches, on every probe.
 */
export class AffixTable<T> {
  /** Ascending. */
  private lengths: number[] = [];
  /** By position in `lengths`. */
  private byLength: Keyed<string, T>[] = [];
  /**
   * By position in `lengths`: one bit per hash of the affixes of that length, read from their
   * outer end (see `outerHash`), so that a value is cut and looked up only at the lengths where
   * it may hold one; -1 for folded affixes, whose keys are lowered after the cut.
   */
  private masks: number[] = [];
  private readonly suffix: boolean;
  private readonly folded: boolean;

  constructor(readonly kind: AffixKind) {
    this.suffix = kind === 'suffixes' || kind === 'foldedSuffixes';
    this.folded = kind === 'foldedPrefixes' || kind === 'foldedSuffixes';
  }

  target(length: number, key: string): State<T> {
    let at = this.lengths.indexOf(length);
    if (at === -1) {
      at = this.lengths.findIndex((other) => other > length);
      if (at === -1) at = this.lengths.length;
      this.lengths = [...this.lengths.slice(0, at), length, ...this.lengths.slice(at)];
      this.byLength = [...this.byLength.slice(0, at), new Keyed(), ...this.byLength.slice(at)];
      this.masks = [...this.masks.slice(0, at), 0, ...this.masks.slice(at)];
    }
    this.masks[at] = this.folded ? -1 : this.masks[at] | bitOfHash(this.outerHash(key, length));
    return this.byLength[at].obtain(key);
  }

  probe(value: string, reach: Reach<T>): void {
    const { lengths, byLength, masks } = this;
    // The hash of the value's outer characters, one more at a time as the lengths grow.
    let hash = STRING_HASH_SEED;
    let hashed = 0;
    for (let i = 0; i < lengths.length; i++) {
      const length = lengths[i];
      if (length > value.length) return;
      if (masks[i] !== -1) {
        for (; hashed < length; hashed++) {
          hash = stringHashStep(hash, this.outerChar(value, hashed));
        }
        if ((masks[i] & bitOfHash(hash)) === 0) continue;
      }
      // As the compiled test does, the value is cut to the affix's length before it is lowered.
      const start = this.suffix ? value.length - length : 0;
      const part = value.slice(start, start + length);
      byLength[i].reach(this.folded ? part.toLowerCase() : part, reach);
    }
  }

  /**
   * The hash of the first `length` characters from the outer end: the start, or for suffixes the
   * end.
   */
  private outerHash(key: string, length: number): number {
    let hash = STRING_HASH_SEED;
    for (let i = 0; i < length; i++) hash = stringHashStep(hash, this.outerChar(key, i));
    return hash;
  }

  /** The `i`-th character code from the outer end. */
  private outerChar(value: string, i: number): number {
    return value.charCodeAt(this.suffix ? value.length - 1 - i : i);
  }
}
