import type { Reach, State } from './index-state.model';
import { Keyed } from './keyed.table';

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
    }
    return this.byLength[at].obtain(key);
  }

  probe(value: string, reach: Reach<T>): void {
    const { lengths, byLength } = this;
    for (let i = 0; i < lengths.length; i++) {
      const length = lengths[i];
      if (length > value.length) return;
      // As the compiled test does, the value is cut to the affix's length before it is lowered.
      const start = this.suffix ? value.length - length : 0;
      const part = value.slice(start, start + length);
      byLength[i].reach(this.folded ? part.toLowerCase() : part, reach);
    }
  }
}
