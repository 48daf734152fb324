import { CliUsageError } from './cli.error';

/** A command line: the positional words and the `--name value` / `--flag` options. */
export interface ParsedArgs {
  readonly positionals: readonly string[];
  /** Options given several times (`--config a --config b`) keep every value, in order. */
  readonly options: ReadonlyMap<string, readonly string[]>;
}

/**
 * Parses `argv` (without node and the script). `flags` names the options that take no value;
 * every other option takes the next word, or the part after `=`.
 */
export function parseArgs(argv: readonly string[], flags: ReadonlySet<string>): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith('--')) {
      positionals.push(word);
      continue;
    }
    const equals = word.indexOf('=');
    const name = word.slice(2, equals === -1 ? undefined : equals);
    let value: string;
    if (flags.has(name)) {
      if (equals !== -1) throw new CliUsageError(`--${name} takes no value.`);
      value = 'true';
    } else if (equals !== -1) {
      value = word.slice(equals + 1);
    } else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) {
        throw new CliUsageError(`--${name} needs a value.`);
      }
      value = argv[++i];
    }
    options.set(name, [...(options.get(name) ?? []), value]);
  }
  return { positionals, options };
}

/** The one value of option `name`, or undefined; refuses it given twice. */
export function single(args: ParsedArgs, name: string): string | undefined {
  const values = args.options.get(name);
  if (values && values.length > 1) throw new CliUsageError(`--${name} is given more than once.`);
  return values?.[0];
}

/** Refuses options that the command does not know, naming the ones it does. */
export function checkOptions(args: ParsedArgs, known: readonly string[], command: string): void {
  for (const name of args.options.keys()) {
    if (!known.includes(name)) {
      throw new CliUsageError(
        `"${command}" has no option --${name}. Its options: ${known.map((k) => `--${k}`).join(', ')}.`,
      );
    }
  }
}
