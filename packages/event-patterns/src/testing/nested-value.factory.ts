/** `inner` wrapped in `levels` arrays, to reach the event depth limit. */
export function nestedArrays(levels: number, inner: unknown): unknown {
  let value = inner;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}
