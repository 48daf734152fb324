import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliUsageError } from '../cli/cli.error';

/** A file and the name of one of its exports: `dist/app.module.js#AppModule`. */
export interface ExportReference {
  readonly file: string;
  readonly exportName?: string;
}

export function parseExportReference(reference: string, cwd: string): ExportReference {
  const hash = reference.lastIndexOf('#');
  const file = resolve(cwd, hash === -1 ? reference : reference.slice(0, hash));
  const exportName = hash === -1 ? undefined : reference.slice(hash + 1) || undefined;
  return { file, exportName };
}

/**
 * Requires `file` and returns the export asked for: the named one, else `default`, else the
 * module itself. The file runs as it would when the application starts: keep side effects out of
 * module scope (Nest applications do).
 */
export function loadExport(reference: ExportReference, what: string): unknown {
  const { file, exportName } = reference;
  if (!existsSync(file)) {
    throw new CliUsageError(
      `${what} file ${file} does not exist. Build the application first (its compiled .js files are ` +
        'loaded), or check the path.',
    );
  }
  // The user's compiled file, by path: what the command is about.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(file) as Record<string, unknown>;
  if (exportName) {
    if (!(exportName in loaded)) {
      throw new CliUsageError(
        `${file} has no export "${exportName}". Its exports: ${Object.keys(loaded).join(', ') || 'none'}.`,
      );
    }
    return loaded[exportName];
  }
  return 'default' in loaded ? loaded.default : loaded;
}
