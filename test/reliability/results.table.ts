import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/** One line of the reliability table. */
export interface ScenarioRow {
  readonly scenario: string;
  /** Messages the broker accepted (publish resolved, or sent to the queue directly). */
  readonly sent: number;
  /** Distinct events whose side effect ran. */
  readonly applied: number;
  /** Events whose side effect ran more than once. */
  readonly twice: number;
  /** Messages found in the dead-letter queue. */
  readonly inDlq: number;
  /** sent − applied − expected in the DLQ: accepted, then neither applied nor dead-lettered. */
  readonly lost: number;
  readonly seconds: number;
  readonly notes: string;
}

/** Where the rows go: a file named by the global setup, shared by the test files. */
function resultsFile(): string {
  const file = process.env.RELIABILITY_RESULTS;
  if (!file) throw new Error('RELIABILITY_RESULTS is not set: run with jest.reliability.config.js');
  return file;
}

export function recordRow(row: ScenarioRow): void {
  appendFileSync(resultsFile(), `${JSON.stringify(row)}\n`);
}

export function readRows(file: string): ScenarioRow[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ScenarioRow);
}

/** The rows as a markdown table, sorted by scenario, numbers right-aligned. */
export function renderTable(rows: readonly ScenarioRow[]): string {
  const header = [
    'scenario',
    'sent',
    'applied',
    'applied twice',
    'in DLQ',
    'lost',
    'time',
    'notes',
  ];
  const lines = [...rows]
    .sort((a, b) => a.scenario.localeCompare(b.scenario, 'en', { numeric: true }))
    .map((row) => [
      row.scenario,
      row.sent.toLocaleString('en-US'),
      row.applied.toLocaleString('en-US'),
      String(row.twice),
      String(row.inDlq),
      String(row.lost),
      `${row.seconds.toFixed(1)} s`,
      row.notes,
    ]);
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    `| ${header.join(' | ')} |`,
    `| --- | ${header
      .slice(1, 7)
      .map(() => '---:')
      .join(' | ')} | --- |`,
    ...lines.map((line) => `| ${line.map(cell).join(' | ')} |`),
  ].join('\n');
}
