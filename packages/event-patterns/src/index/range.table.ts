import { appended } from './array-append.helper';
import { type Reach, type State, newState } from './index-state.model';

/**
 * Numeric ranges sorted by lower bound, with the highest upper bound so far beside each, so that a
 * value walks back only over ranges that start before it and until none can reach it.
 */
export class RangeTable<T> {
  private readonly byBounds = new Map<string, State<T>>();
  private items: { readonly min: number; readonly max: number; readonly state: State<T> }[] = [];
  private reach: number[] = [];
  private sorted = true;

  target(min: number, max: number): State<T> {
    const key = `${min} ${max}`;
    let state = this.byBounds.get(key);
    if (!state) {
      state = newState();
      this.byBounds.set(key, state);
      this.items = appended(this.items, { min, max, state });
      this.sorted = false;
    }
    return state;
  }

  probe(value: number, reach: Reach<T>): void {
    const { items } = this;
    if (!this.sorted) this.sort();
    let low = 0;
    let high = items.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (items[middle].min <= value) low = middle + 1;
      else high = middle;
    }
    // Bounds are taken as inclusive: an open bound only lets in a candidate that is judged later.
    for (let i = low - 1; i >= 0 && this.reach[i] >= value; i--) {
      if (items[i].max >= value) reach(items[i].state);
    }
  }

  private sort(): void {
    this.items.sort((a, b) => a.min - b.min);
    let reach = -Infinity;
    this.reach = this.items.map((item) => (reach = Math.max(reach, item.max)));
    this.sorted = true;
  }
}
