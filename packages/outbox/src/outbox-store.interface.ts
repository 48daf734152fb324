import type { EventEnvelope } from '@nestjs-events/core';

/** One event to write to the outbox, with the key that orders it among its peers. */
export interface OutboxRecord {
  readonly envelope: EventEnvelope;
  /**
   * Events with the same key are sent in the order they were written, one after the other; events
   * without a key are sent as soon as possible. The transport's `orderKey` option sets it.
   */
  readonly orderKey?: string;
}

/** A row the relay has claimed and may send. */
export interface OutboxRow {
  /** The store's id of the row (not the event id). */
  readonly id: string;
  readonly envelope: EventEnvelope;
  readonly orderKey?: string;
  /** Failed send attempts so far. */
  readonly attempts: number;
}

/** What the relay did with one claimed row; the store records it before releasing the row. */
export type OutboxRowOutcome =
  | { readonly id: string; readonly status: 'sent' }
  /** Failed; due again after `delayMs`. `error` is already redacted. */
  | {
      readonly id: string;
      readonly status: 'retry';
      readonly delayMs: number;
      readonly error: string;
    }
  /** Failed for the last time (or cannot succeed): kept with its error, never sent again by itself. */
  | { readonly id: string; readonly status: 'parked'; readonly error: string }
  /** Not attempted (an earlier row of its order key failed): left as it was. */
  | { readonly id: string; readonly status: 'deferred' };

/** How many rows of one destination are waiting and parked. */
export interface OutboxCounts {
  readonly pending: number;
  readonly parked: number;
}

/** A parked row, as `parked()` lists it for an operator: no payload, only what identifies it. */
export interface ParkedOutboxRow {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly orderKey?: string;
  readonly attempts: number;
  readonly error: string;
  readonly parkedAt: Date;
}

/**
 * Where outbox rows live: the store SPI the outbox transport and its relay are built on. A store
 * writes rows in a transaction it is handed, and lets relays claim them so that no two relays hold
 * the same row, and no row is handed out while an earlier unsent row of its order key is held by
 * another relay or waits for its retry.
 */
export interface OutboxStore {
  /** What and where the store is, for messages: "PostgreSQL table public.outbox". No secrets. */
  readonly description: string;
  /** Writes `records` for `destination` (a transport name) in `transaction`, the store's own handle. */
  append(
    transaction: unknown,
    destination: string,
    records: readonly OutboxRecord[],
  ): Promise<void>;
  /** Writes `records` in a transaction of their own, committed when this resolves. */
  appendCommitted(destination: string, records: readonly OutboxRecord[]): Promise<void>;
  /**
   * One relay pass: claims up to `limit` due rows of `destination`, in the order they were
   * written, hands them to `send`, records the outcomes, then releases the rows. Resolves with
   * how many rows were claimed.
   */
  relay(
    destination: string,
    limit: number,
    send: (rows: readonly OutboxRow[]) => Promise<readonly OutboxRowOutcome[]>,
  ): Promise<number>;
  /** Deletes up to `limit` rows of `destination` sent before `before`; resolves with how many. */
  purgeSent(destination: string, before: Date, limit: number): Promise<number>;
  counts(destination: string): Promise<OutboxCounts>;
  /** The parked rows of `destination`, oldest first, at most `limit`. */
  parked(destination: string, limit?: number): Promise<readonly ParkedOutboxRow[]>;
  /** Makes parked rows due again (all of `destination`'s when `ids` is absent); resolves with how many. */
  requeueParked(destination: string, ids?: readonly string[]): Promise<number>;
  /**
   * Calls `onAppend` soon after rows for `destination` are committed, where the store can tell
   * (PostgreSQL LISTEN/NOTIFY); the relay polls as well, so a store may leave this out. Resolves
   * with a function that stops listening.
   */
  listen?(destination: string, onAppend: () => void): Promise<() => Promise<void>>;
}
