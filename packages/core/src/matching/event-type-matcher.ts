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
