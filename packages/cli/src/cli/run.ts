import { mkdirSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { buildAsyncApiDocument } from '../asyncapi/asyncapi.document';
import { buildRegistrySchemas } from '../asyncapi/eventbridge-schemas';
import { buildCloudFormationTemplate } from '../cloudformation/cloudformation.template';
import {
  listDeadLetters,
  redriveDeadLetters,
  showDeadLetter,
  type DeadLetterContext,
  type DeadLetterIo,
} from '../dlq/dead-letter.commands';
import { loadApplication, type ApplicationReference } from '../loading/application.loader';
import { loadSqsSdk, loadSqsTransportPackage } from '../loading/optional-packages';
import { describeApplication, type ApplicationTopology } from '../topology/application-topology';
import { printTopology } from '../topology/topology.printer';
import { checkOptions, parseArgs, single, type ParsedArgs } from './args.parser';
import { CliUsageError } from './cli.error';
import { USAGE } from './usage';

/** Where the CLI writes, and where it resolves relative paths from. */
export interface CliIo extends DeadLetterIo {
  readonly cwd: string;
}

const FLAGS = new Set(['json', 'dry-run', 'help']);
const APP_OPTIONS = ['config', 'module', 'out'];

/** Runs one command line; resolves with the exit code. Usage errors are printed, not thrown. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const args = parseArgs(argv, FLAGS);
    const [command, ...rest] = args.positionals;
    if (!command || args.options.has('help') || command === 'help') {
      io.out(USAGE);
      return command || args.options.has('help') ? 0 : 2;
    }
    switch (command) {
      case 'topology':
        checkOptions(args, [...APP_OPTIONS, 'json'], command);
        return await topology(args, io);
      case 'cloudformation':
        checkOptions(args, APP_OPTIONS, command);
        return await cloudformation(args, io);
      case 'asyncapi':
        checkOptions(args, [...APP_OPTIONS, 'format'], command);
        return await asyncapi(args, io);
      case 'schemas':
        checkOptions(args, ['config', 'module', 'out-dir'], command);
        return await schemas(args, io);
      case 'dlq':
        checkOptions(
          args,
          ['pattern', 'dry-run', 'to', 'region', 'endpoint', 'visibility'],
          command,
        );
        return await dlq(rest, args, io);
      default:
        throw new CliUsageError(`Unknown command "${command}". Run nestjs-events --help.`);
    }
  } catch (error) {
    if (error instanceof CliUsageError || (error as Error).name === 'EventsConfigurationError') {
      io.err(`nestjs-events: ${(error as Error).message}\n`);
      return 2;
    }
    io.err(`nestjs-events: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

async function applications(
  args: ParsedArgs,
  io: CliIo,
  one = false,
): Promise<ApplicationTopology[]> {
  const configs = args.options.get('config') ?? [];
  const module = single(args, 'module');
  if (one && configs.length > 1) {
    throw new CliUsageError('This command describes one application: give one --config.');
  }
  const references: ApplicationReference[] = configs.length
    ? configs.map((config, index) => ({ config, module: index === 0 ? module : undefined }))
    : [{ module }];
  const apps: ApplicationTopology[] = [];
  for (const reference of references) {
    apps.push(describeApplication(await loadApplication(reference, io.cwd)));
  }
  return apps;
}

function write(args: ParsedArgs, io: CliIo, text: string): void {
  const out = single(args, 'out');
  if (!out) {
    io.out(text);
    return;
  }
  writeFileSync(resolve(io.cwd, out), text);
  io.err(`Wrote ${out}\n`);
}

async function topology(args: ParsedArgs, io: CliIo): Promise<number> {
  const apps = await applications(args, io);
  const text = args.options.has('json')
    ? JSON.stringify(apps.map(jsonView), null, 2) + '\n'
    : apps.map(printTopology).join('\n');
  write(args, io, text);
  return 0;
}

/** The topology as JSON: definitions as type and version, not their validators. */
function jsonView(app: ApplicationTopology): unknown {
  return {
    ...app,
    accepts: app.accepts.map(({ type, version }) => ({ type, version })),
    transports: app.transports.map((transport) => ({
      ...transport,
      handlers: transport.handlers.map(({ definitions, ...handler }) => ({
        ...handler,
        definitions: definitions.map(({ type, version }) => ({ type, version })),
      })),
      publishes: transport.publishes.map(({ type, version }) => ({ type, version })),
    })),
  };
}

async function cloudformation(args: ParsedArgs, io: CliIo): Promise<number> {
  const apps = await applications(args, io);
  for (const app of apps) {
    for (const transport of app.transports) {
      for (const note of transport.topology?.notes ?? []) io.err(`note: ${note}\n`);
    }
  }
  write(args, io, JSON.stringify(buildCloudFormationTemplate(apps), null, 2) + '\n');
  return 0;
}

async function asyncapi(args: ParsedArgs, io: CliIo): Promise<number> {
  const [app] = await applications(args, io, true);
  const { document, notes } = buildAsyncApiDocument(app);
  for (const note of notes) io.err(`note: ${note}\n`);
  write(
    args,
    io,
    documentFormat(args) === 'yaml'
      ? toYaml(document, { lineWidth: 0, aliasDuplicateObjects: false })
      : JSON.stringify(document, null, 2) + '\n',
  );
  return 0;
}

/** `--format yaml|json`; without it, yaml when `--out` ends in .yaml or .yml, else json. */
function documentFormat(args: ParsedArgs): 'yaml' | 'json' {
  const format = single(args, 'format');
  if (format === undefined) {
    const out = single(args, 'out');
    return out && ['.yaml', '.yml'].includes(extname(out).toLowerCase()) ? 'yaml' : 'json';
  }
  if (format === 'yaml' || format === 'json') return format;
  throw new CliUsageError(`--format must be yaml or json, not "${format}".`);
}

async function schemas(args: ParsedArgs, io: CliIo): Promise<number> {
  const [app] = await applications(args, io, true);
  const { schemas: list, notes } = buildRegistrySchemas(app);
  for (const note of notes) io.err(`note: ${note}\n`);
  const dir = single(args, 'out-dir');
  if (!dir) {
    io.out(JSON.stringify(list, null, 2) + '\n');
    return 0;
  }
  const target = resolve(io.cwd, dir);
  mkdirSync(target, { recursive: true });
  for (const schema of list) {
    writeFileSync(join(target, `${schema.schemaName}.json`), schema.content + '\n');
  }
  io.err(`Wrote ${list.length} schema(s) to ${dir} (type JSONSchemaDraft4)\n`);
  return 0;
}

async function dlq(words: readonly string[], args: ParsedArgs, io: CliIo): Promise<number> {
  const [queue, action, id, ...extra] = words;
  if (!queue || !action) {
    throw new CliUsageError('Usage: nestjs-events dlq <queue> list | show <message-id> | redrive');
  }
  if (extra.length || (action !== 'show' && id !== undefined)) {
    throw new CliUsageError(
      `Unexpected "${[id, ...extra].filter(Boolean).join(' ')}" after dlq ${action}.`,
    );
  }
  const visibility = Number(single(args, 'visibility') ?? 600);
  if (!Number.isInteger(visibility) || visibility < 1 || visibility > 43_200) {
    throw new CliUsageError('--visibility must be a whole number of seconds from 1 to 43200.');
  }
  const context = dlqContext(args, io, visibility);
  try {
    switch (action) {
      case 'list':
        await listDeadLetters(context, queue);
        return 0;
      case 'show':
        if (!id) throw new CliUsageError('Usage: nestjs-events dlq <queue> show <message-id>');
        return (await showDeadLetter(context, queue, id)) ? 0 : 1;
      case 'redrive': {
        const result = await redriveDeadLetters(context, queue, {
          pattern: single(args, 'pattern'),
          dryRun: args.options.has('dry-run'),
          to: single(args, 'to'),
        });
        return result.failed || result.notDeleted ? 1 : 0;
      }
      default:
        throw new CliUsageError(
          `dlq has no action "${action}": use list, show <message-id> or redrive.`,
        );
    }
  } finally {
    context.client.destroy();
  }
}

function dlqContext(args: ParsedArgs, io: CliIo, visibilitySeconds: number): DeadLetterContext {
  const { clientConfig } = loadSqsTransportPackage('The dlq command');
  const sdk = loadSqsSdk();
  const client = new sdk.SQSClient(
    clientConfig({ region: single(args, 'region'), endpoint: single(args, 'endpoint') }),
  );
  return { sdk, client, io, visibilitySeconds };
}
