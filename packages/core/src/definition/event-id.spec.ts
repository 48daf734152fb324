import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { newEventId } from './event-id';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newEventId', () => {
  it('makes distinct version 4 UUIDs, across many refills of its random bytes', () => {
    const ids = Array.from({ length: 10_000 }, () => newEventId());
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('takes every digit at every random position (no byte reused or left unwritten)', () => {
    const ids = Array.from({ length: 10_000 }, () => newEventId());
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (const id of ids) for (let i = 0; i < 36; i++) seen[i].add(id[i]);
    const counts = seen.map((digits) => digits.size);
    // Dashes at 8, 13, 18 and 23; the version at 14; the variant's four values at 19.
    const expected = counts.map((_, i) =>
      [8, 13, 18, 23, 14].includes(i) ? 1 : i === 19 ? 4 : 16,
    );
    expect(counts).toEqual(expected);
  });

  it('keeps an id in one flat string, not in the pieces it was joined from', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const kept: string[] = new Array<string>(100_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < kept.length; i++) kept[i] = newEventId();
    gc();
    const perId = (process.memoryUsage().heapUsed - before) / kept.length;
    // 36 characters take 56 to 64 bytes with the array slot; crypto.randomUUID()'s took ~490.
    expect(perId).toBeLessThan(100);
    expect(kept[kept.length - 1]).toMatch(UUID_V4);
  });
});
