import type { OutboxRow } from '../outbox-store.interface';

/**
 * Splits claimed rows (in the order they were written) into waves: wave n holds the n-th row of
 * each order key, and every row without a key goes in the first. Sending wave after wave, each in
 * one batched publish, keeps the order per key while rows of different keys travel together.
 */
export function sendWaves(rows: readonly OutboxRow[]): OutboxRow[][] {
  const waves: OutboxRow[][] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const position = row.orderKey === undefined ? 0 : (seen.get(row.orderKey) ?? 0);
    if (row.orderKey !== undefined) seen.set(row.orderKey, position + 1);
    (waves[position] ??= []).push(row);
  }
  return waves;
}
