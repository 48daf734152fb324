import type { Reach, State } from './index-state.model';
import { Keyed } from './keyed.table';

export type AffixKind = 'prefixes' | 'foldedPrefixes' | 'suffixes' | 'foldedSuffixes';

/** Affixes by length, so that a value is looked up once per distinct affix length. */
export class AffixTable<T> {
  private readonly byLength = new Map<number, Keyed<string, T>>();
  /** Ascending. */
  private lengths: number[] = [];
  private readonly suffix: boolean;
  private readonly folded: boolean;

  constructor(readonly kind: AffixKind) {
    this.suffix = kind === 'suffixes' || kind === 'foldedSuffixes';
    this.folded = kind === 'foldedPrefixes' || kind === 'foldedSuffixes';
  }

  target(length: number, key: string): State<T> {
    let byKey = this.byLength.get(length);
    if (!byKey) {
      byKey = new Keyed();
      this.byLength.set(length, byKey);
      this.lengths = [...this.lengths, length].sort((a, b) => a - b);
    }
    return byKey.obtain(key);
  }

  probe(value: string, reach: Reach<T>): void {
    for (const length of this.lengths) {
      if (length > value.length) return;
      // As the compiled test does, the value is cut to the affix's length before it is lowered.
      const start = this.suffix ? value.length - length : 0;
      const part = value.slice(start, start + length);
      this.byLength.get(length)!.reach(this.folded ? part.toLowerCase() : part, reach);
    }
  }
}
