import type { OutboxRow } from '../outbox-store.interface';
import { sendWaves } from './send-waves';

const row = (id: string, orderKey?: string) =>
  ({ id, orderKey, attempts: 0, envelope: { id } }) as unknown as OutboxRow;

describe('sendWaves', () => {
  it('puts the n-th row of each key in wave n, and unkeyed rows in the first', () => {
    const rows = [
      row('1', 'a'),
      row('2', 'b'),
      row('3', 'a'),
      row('4'),
      row('5', 'a'),
      row('6', 'b'),
    ];
    expect(sendWaves(rows).map((wave) => wave.map((r) => r.id))).toEqual([
      ['1', '2', '4'],
      ['3', '6'],
      ['5'],
    ]);
  });

  it('keeps one wave for rows without keys', () => {
    expect(sendWaves([row('1'), row('2')]).map((wave) => wave.length)).toEqual([2]);
    expect(sendWaves([])).toEqual([]);
  });
});
