// The papergraph command. Each command's code is loaded when it runs, so that `--help` and a
// mistyped command answer at once instead of first loading the server.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CliError, EXIT, EXIT_CODES_HELP } from './commands/errors.ts';
import { type Config, ConfigError, describeVariables, loadConfig } from './config.ts';
import { IMPORT_FORMATS } from './import/import-error.ts';

function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidArgumentError('expected a date as YYYY-MM-DD.');
  }
  return value;
}

/** Runs a command with the configuration read from the environment; a number it returns is the exit code. */
function run<A extends unknown[]>(action: (config: Config, ...args: A) => Promise<unknown>) {
  return async (...args: A) => {
    const code = await action(loadConfig(process.env), ...args);
    if (typeof code === 'number' && code !== EXIT.ok) process.exitCode = code;
  };
}

const program = new Command('papergraph')
  .description('papergraph: a GraphQL API for research papers, their topics, authors and organizations.')
  .addHelpText('after', `\nSettings come from the environment:\n${describeVariables()}\n\n${EXIT_CODES_HELP}`)
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) })
  // Commander's own refusals (an unknown command or option, a bad value) throw instead of
  // exiting with 1, so that they end with the usage code like every other bad argument.
  // Set before the commands are added: they inherit it.
  .exitOverride();

program
  .command('serve')
  .description('migrate the database, load the sample data on first start, and serve GraphQL (GraphiQL in a browser)')
  .action(run(async (config) => (await import('./commands/serve.ts')).serveCommand(config)));

program
  .command('migrate')
  .description('apply pending database migrations (or undo the newest with --down)')
  .option('--down', 'undo the newest migration instead')
  .action(
    run(async (config, options: { down?: boolean }) =>
      (await import('./commands/maintenance.ts')).migrateCommand(config, options),
    ),
  );

program
  .command('import')
  .description(
    'import papers from files: Daily Papers API records (JSON lines, or a JSON array per day) or the text of a Daily Papers page, plain or gzipped; the format is detected from the content',
  )
  .argument('<file...>', 'files to import')
  .addOption(new Option('--format <format>', 'force the input format').choices(IMPORT_FORMATS))
  .option('--featured-on <date>', 'the Daily Papers day a page lists (YYYY-MM-DD); page text has no year', isoDate)
  .option('--strict', 'stop at the first bad record and import nothing from that file')
  .option('--allow-skipped', 'exit 0 even when bad records were skipped')
  .action(
    run(async (config, files: string[], options) =>
      (await import('./commands/import.ts')).importCommand(config, files, options),
    ),
  );

program
  .command('sync')
  .description(
    'fetch the Daily Papers API (SYNC_URL) day by day and merge each day whole: --since/--until a range, or with neither catch up from the last completed day and fetch the last SYNC_REFETCH_DAYS days again; an interrupted sync resumes where it stopped',
  )
  .option('--since <date>', 'the first featured day (YYYY-MM-DD)', isoDate)
  .option('--until <date>', 'the last featured day (YYYY-MM-DD; default today, UTC)', isoDate)
  .action(
    run(async (config, options: { since?: string; until?: string }) =>
      (await import('./commands/sync.ts')).syncCommand(config, options),
    ),
  );

program
  .command('retag')
  .description('re-tag every paper with the topic rules stored in the database')
  .action(run(async (config) => (await import('./commands/maintenance.ts')).retagCommand(config)));

const keys = program.command('keys').description('manage API keys (writes need one: Authorization: Bearer <key>)');

keys
  .command('create')
  .description('create a key and print it (it is shown only this once; the database keeps a hash)')
  .addOption(new Option('--scope <scope...>', 'what the key may do').choices(['write', 'admin']).default(['write']))
  .option('--name <name>', 'what the key is for, shown by keys list', 'unnamed')
  .action(run(async (config, options) => (await import('./commands/keys.ts')).createKey(config, options)));

keys
  .command('list')
  .description('list the keys (never the keys themselves)')
  .action(run(async (config) => (await import('./commands/keys.ts')).listKeys(config)));

keys
  .command('revoke')
  .description('revoke a key by id, or by prefix when one key has it; it stops working at once')
  .argument('<key>', 'the key id or prefix, as keys list shows')
  .action(
    run(async (config, idOrPrefix: string) => (await import('./commands/keys.ts')).revokeKey(config, idOrPrefix)),
  );

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === EXIT.ok ? EXIT.ok : EXIT.usage);
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(EXIT.usage);
  }
  if (error instanceof CliError) {
    console.error(`papergraph: ${error.message}`);
    process.exit(error.exitCode);
  }
  // Anything else is a bug: the message on one line, the details with LOG_LEVEL=debug.
  console.error(`papergraph: unexpected error: ${(error as Error).message}`);
  if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') console.error(error);
  process.exit(EXIT.failed);
}
