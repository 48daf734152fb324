/** Names of the tables (optionally schema-qualified) the PostgreSQL stores use. */
export interface PostgresOutboxTables {
  /** @default 'nestjs_events_outbox' */
  outboxTable?: string;
  /** @default 'nestjs_events_inbox' */
  inboxTable?: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** A validated, quoted SQL name (`"schema"."table"`), and its bare last part for derived names. */
export interface QualifiedName {
  readonly sql: string;
  readonly base: string;
}

export function qualifiedName(name: string, option: string): QualifiedName {
  const parts = name.split('.');
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new TypeError(
      `${option} must be a table name, optionally schema-qualified (letters, digits and ` +
        `underscores, at most 63 each), got ${JSON.stringify(name)}.`,
    );
  }
  return {
    sql: parts.map((part) => `"${part}"`).join('.'),
    base: parts[parts.length - 1],
  };
}

/** Index and channel names derived from a table's bare name, within PostgreSQL's 63 bytes. */
export function derivedName(base: string, suffix: string): string {
  return `${base.slice(0, 63 - suffix.length - 1)}_${suffix}`;
}

/**
 * The DDL of the outbox and inbox tables: `CREATE … IF NOT EXISTS`, safe to run again. For a
 * migration tool, take the statements as they are; `ensureSchema()` runs them.
 */
export function postgresOutboxSchema(tables: PostgresOutboxTables = {}): string[] {
  const outbox = qualifiedName(tables.outboxTable ?? 'nestjs_events_outbox', 'outboxTable');
  const inbox = qualifiedName(tables.inboxTable ?? 'nestjs_events_inbox', 'inboxTable');
  const unsent = 'WHERE sent_at IS NULL AND parked_at IS NULL';
  return [
    `CREATE TABLE IF NOT EXISTS ${outbox.sql} (
  id bigserial PRIMARY KEY,
  destination text NOT NULL,
  event_id text NOT NULL,
  event_type text NOT NULL,
  order_key text,
  envelope jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  available_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  sent_at timestamptz,
  parked_at timestamptz,
  last_error text
)`,
    `CREATE INDEX IF NOT EXISTS "${derivedName(outbox.base, 'due')}" ON ${outbox.sql} (destination, id) ${unsent}`,
    `CREATE INDEX IF NOT EXISTS "${derivedName(outbox.base, 'order')}" ON ${outbox.sql} (destination, order_key, id) ${unsent}`,
    `CREATE INDEX IF NOT EXISTS "${derivedName(outbox.base, 'sent')}" ON ${outbox.sql} (destination, sent_at) WHERE sent_at IS NOT NULL`,
    `CREATE INDEX IF NOT EXISTS "${derivedName(outbox.base, 'parked')}" ON ${outbox.sql} (destination, id) WHERE parked_at IS NOT NULL`,
    `CREATE TABLE IF NOT EXISTS ${inbox.sql} (
  handler text NOT NULL,
  event_id text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (handler, event_id)
)`,
    `CREATE INDEX IF NOT EXISTS "${derivedName(inbox.base, 'processed')}" ON ${inbox.sql} (processed_at)`,
  ];
}
