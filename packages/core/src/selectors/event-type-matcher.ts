import { EventsConfigurationError } from '../errors/events-configuration.error';

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * Compiles an event-type selector in EventEmitter2's dialect (`.` delimiter): `*` stands for one
 * segment, `**` for any number of them (`order.*`, `billing.**`). Exact types match themselves.
 */
export function compileTypeMatcher(selector: string): (type: string) => boolean {
  const segments = selector.split('.');
  if (!segments.every((segment) => segment === '*' || segment === '**' || SEGMENT.test(segment))) {
    throw new EventsConfigurationError(
      `Event type selector ${JSON.stringify(selector)} is invalid: use dot-separated words, ` +
        '"*" for one segment or "**" for any number of segments.',
    );
  }
  if (!selector.includes('*')) return (type) => type === selector;
  const source = segments
    .map((segment, index) => {
      if (segment === '**') return index === 0 ? '(?:[^.]+(?:\\.|$))*' : '(?:\\.[^.]+)*';
      // `**` carries its own dots, except at the start where it may match nothing.
      const prefix = index === 0 || (index === 1 && segments[0] === '**') ? '' : '\\.';
      return prefix + (segment === '*' ? '[^.]+' : segment.replace(/-/g, '\\-'));
    })
    .join('');
  const regex = new RegExp(`^${source}$`);
  return (type) => regex.test(type);
}

export function isWildcardSelector(selector: string): boolean {
  return selector.includes('*');
}

/** A value of an event-pattern field that covers a type selector: exact, or by prefix or suffix. */
export type TypeSelectorValue = string | { readonly prefix: string } | { readonly suffix: string };

/**
 * The pattern values (for a `type` or `detail-type` field) that cover every selector, for brokers
 * that filter with event patterns or SNS filter policies; undefined when only "every type" does.
 * Wider than the selectors where needed (`order.*` lets `order.a.b` through too): the in-process
 * type match stays the final word, and a narrower filter would lose events.
 */
export function typeSelectorValues(selectors: readonly string[]): TypeSelectorValue[] | undefined {
  const values: TypeSelectorValue[] = [];
  const seen = new Set<string>();
  for (const selector of selectors) {
    const alternatives = selectorValues(selector);
    if (!alternatives) return undefined;
    for (const value of alternatives) {
      const key = JSON.stringify(value);
      if (!seen.has(key)) {
        seen.add(key);
        values.push(value);
      }
    }
  }
  return values;
}

function selectorValues(selector: string): TypeSelectorValue[] | undefined {
  const star = selector.indexOf('*');
  if (star === -1) return [selector];
  if (star > 0) {
    const prefix = selector.slice(0, star);
    // `order.**` also matches `order` itself: `**` may stand for no segment at all.
    if (selector.slice(star) === '**') return [prefix.slice(0, -1), { prefix }];
    return [{ prefix }];
  }
  // Leading wildcard: only the end is fixed, and a leading `**` may match no segment.
  let suffix = selector.slice(selector.lastIndexOf('*') + 1);
  if (selector.startsWith('**')) suffix = suffix.replace(/^\./, '');
  return suffix ? [{ suffix }] : undefined;
}
