/**
 * A content filter in the EventBridge event-pattern language, written against the envelope as the
 * handler sees it (`type`, `version`, `source`, `aggregateId`, `data`, `metadata`).
 *
 * Matching follows EventBridge: fields named in the pattern must all match (AND) and the values
 * listed for a field are alternatives (OR). A field absent from the event fails unless the pattern
 * allows `{ "exists": false }`; when the event holds an array, one element matching is enough, and
 * fields matched inside objects of the same array must come from the same element. Strings,
 * numbers, booleans and `null` never match one another (`"5"` is not `5`). Operators: `prefix`,
 * `suffix` (both optionally `{ "equals-ignore-case": … }`), `equals-ignore-case`, `wildcard`,
 * `anything-but`, `numeric`, `exists`, `cidr`, and `$or` to combine sub-patterns.
 *
 * See `validatePattern()` for what EventBridge rejects, and `matchesPattern()` to test one.
 */
export type EventPattern = {
  readonly $or?: readonly EventPattern[];
  readonly [field: string]:
    readonly EventPatternValue[] | EventPattern | readonly EventPattern[] | undefined;
};

/** One alternative for a field: an exact JSON value or an operator object. */
export type EventPatternValue =
  | string
  | number
  | boolean
  | null
  | { readonly prefix: string | { readonly 'equals-ignore-case': string } }
  | { readonly suffix: string | { readonly 'equals-ignore-case': string } }
  | { readonly 'equals-ignore-case': string }
  | { readonly wildcard: string }
  | {
      readonly 'anything-but':
        | string
        | number
        | readonly string[]
        | readonly number[]
        | { readonly prefix: string | readonly string[] }
        | { readonly suffix: string | readonly string[] }
        | { readonly 'equals-ignore-case': string | readonly string[] }
        | { readonly wildcard: string | readonly string[] };
    }
  | { readonly numeric: readonly (string | number)[] }
  | { readonly exists: boolean }
  | { readonly cidr: string };
