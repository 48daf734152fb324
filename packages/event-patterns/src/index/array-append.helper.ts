/**
 * `items` with `added` at the end. Short arrays are copied at their exact size: an array grown by
 * pushes reserves room for 16 more items, and most states hold one or two of each.
 */
export function appended<V>(items: V[] | undefined, ...added: V[]): V[] {
  if (!items) return added;
  if (items.length >= 8) {
    items.push(...added);
    return items;
  }
  return [...items, ...added];
}
