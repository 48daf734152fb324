import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRows, renderTable } from './results.table';

/** Prints the scenarios' rows as one markdown table (also kept as results.md), then stops the servers. */
export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__reliability;
  if (!state) return;
  globalThis.__reliability = undefined;
  try {
    const rows = readRows(join(state.dir, 'results.jsonl'));
    const wall = ((Date.now() - state.startedAt) / 1000).toFixed(1);
    const table = renderTable(rows);
    writeFileSync(join(state.dir, 'results.md'), `${table}\n\nWall time: ${wall} s\n`);
    console.log(
      `\nReliability scenarios (${rows.length} rows; worker logs and results.md in ${state.dir}):\n\n` +
        `${table}\n\nWall time of the run, build included: ${wall} s\n`,
    );
  } finally {
    await Promise.all(state.servers.map((server) => server.stop()));
  }
}
