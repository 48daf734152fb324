/**
 * A content filter in the EventBridge event-pattern language, written against the envelope as the
 * handler sees it (`type`, `version`, `source`, `aggregateId`, `data`, `metadata`).
 *
 * Reserved: patterns are not evaluated yet, and a handler that sets one is refused at bootstrap
 * rather than silently receiving every event.
 */
export type EventPattern = { readonly [field: string]: unknown };
