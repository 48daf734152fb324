import type { Entry } from './index-entry.model';

/** Above this many, `Array.prototype.sort` costs less than inserting one by one. */
const INSERTION_LIMIT = 16;

/**
 * The ids of `entries` in the order their patterns were added. An event matches few patterns,
 * and `Array.prototype.sort` allocates a work area on every call (several hundred bytes for
 * three items), so a short list is ordered by insertion, in place.
 */
export function idsInAddedOrder<T>(entries: Entry<T>[]): T[] {
  if (entries.length > INSERTION_LIMIT) entries.sort((a, b) => a.seq - b.seq);
  else {
    for (let i = 1; i < entries.length; i++) {
      const entry = entries[i];
      let j = i - 1;
      for (; j >= 0 && entries[j].seq > entry.seq; j--) entries[j + 1] = entries[j];
      entries[j + 1] = entry;
    }
  }
  const ids = new Array<T>(entries.length);
  for (let i = 0; i < entries.length; i++) ids[i] = entries[i].id;
  return ids;
}
