import { type Reach, type State, newState } from './index-state.model';

/**
 * States by key. Most tables hold a single key, kept without a Map: a Map costs a few hundred
 * bytes, and thousands of them crowd the processor's caches.
 */
export class Keyed<K, T> {
  private soleKey: K | undefined;
  private sole: State<T> | undefined;
  private map: Map<K, State<T>> | undefined;

  get(key: K): State<T> | undefined {
    if (this.map) return this.map.get(key);
    // Within JSON values, === agrees with a Map's SameValueZero (no NaN; 0 and -0 are equal).
    return this.soleKey === key ? this.sole : undefined;
  }

  /** Calls `reach` with the state under `key`, if there is one. */
  reach(key: K, reach: Reach<T>): void {
    const state = this.get(key);
    if (state) reach(state);
  }

  /** The state under `key`, created when new. */
  obtain(key: K): State<T> {
    const found = this.get(key);
    if (found) return found;
    const state = newState<T>();
    if (!this.sole) {
      this.soleKey = key;
      this.sole = state;
    } else {
      this.map ??= new Map([[this.soleKey!, this.sole]]);
      this.map.set(key, state);
    }
    return state;
  }
}
