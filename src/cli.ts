import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createApiKey } from './auth.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { createDb, type Db } from './db/database.ts';
import { migrateDown, migrateToLatest } from './db/migrate.ts';
import { type ApiScope, listApiKeys, revokeApiKey } from './db/queries/api-keys.ts';
import {
  IMPORT_FORMATS,
  ImportError,
  type ImportFormat,
  type ImportProgress,
  importFile,
} from './import/import-file.ts';
import { createLogger, startServer } from './server.ts';
import { prepareDatabase } from './setup.ts';
import { loadTagger, tagPapers } from './topics/tagging.ts';

function config(): Config {
  return loadConfig(process.env);
}

async function withDb<T>(fn: (db: Db, config: Config) => Promise<T>): Promise<T> {
  const c = config();
  const db = await createDb({ databaseUrl: c.databaseUrl, dataDir: c.dataDir });
  try {
    return await fn(db, c);
  } finally {
    await db.destroy();
  }
}

function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError('expected a date as YYYY-MM-DD.');
  }
  return value;
}

const program = new Command('papergraph')
  .description(
    'papergraph: a GraphQL API for research papers.\n' +
      'Settings come from the environment: DATABASE_URL (PostgreSQL; embedded PGlite when unset), DATA_DIR, PORT, HOST, SAMPLE_DATA, NODE_ENV.',
  )
  .showHelpAfterError();

program
  .command('serve')
  .description('migrate the database, load the sample data on first start, and serve GraphQL (GraphiQL in a browser)')
  .action(async () => {
    const c = config();
    const logger = createLogger(c);
    const running = await startServer(c, logger);
    logger.info({ url: running.url }, `papergraph is serving ${running.url}`);
    const stop = (signal: string) => {
      logger.info({ signal }, 'finishing in-flight requests and shutting down');
      running.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

program
  .command('migrate')
  .description('apply pending database migrations (or undo the newest with --down)')
  .option('--down', 'undo the newest migration instead')
  .action(async (options: { down?: boolean }) => {
    await withDb(async (db) => {
      const names = options.down ? await migrateDown(db) : await migrateToLatest(db);
      console.log(names.length > 0 ? `${options.down ? 'Undid' : 'Applied'}: ${names.join(', ')}` : 'Nothing to do.');
    });
  });

program
  .command('import')
  .description(
    'import papers from files: Daily Papers page text, or Daily Papers API records (JSONL, or a JSON array per day); the format is detected from the content',
  )
  .argument('<file...>', 'files to import')
  .addOption(new Option('--format <format>', 'force the input format').choices(IMPORT_FORMATS))
  .option('--featured-on <date>', 'the Daily Papers day a page lists (YYYY-MM-DD); page text has no year', isoDate)
  .option('--strict', 'stop at the first bad record and import nothing from that file')
  .action(async (files: string[], options: { format?: ImportFormat; featuredOn?: string; strict?: boolean }) => {
    await withDb(async (db) => {
      await prepareDatabase(db, { sampleData: 'off' });
      let failed = false;
      for (const file of files) {
        const progress = createProgress(file);
        try {
          const summary = await importFile(db, file, { ...options, onProgress: progress.update });
          progress.stop();
          for (const p of summary.problems) console.error(`${p.source}:${p.line}: skipped: ${p.message}`);
          console.log(
            `${file}: read ${summary.read}, created ${summary.created}, updated ${summary.updated}, unchanged ${summary.unchanged}, skipped ${summary.skipped} (${progress.rate()})`,
          );
        } catch (error) {
          progress.stop();
          failed = true;
          const message = error instanceof ImportError ? error.message : `${file}: ${(error as Error).message}`;
          console.error(`import failed: ${message}`);
        }
      }
      if (failed) process.exitCode = 1;
    });
  });

/** A progress bar on a terminal; elsewhere (logs, CI) a plain line every 10 seconds. */
function createProgress(file: string) {
  const started = performance.now();
  let records = 0;
  const seconds = () => (performance.now() - started) / 1000;
  const rate = () => `${Math.round(records / Math.max(seconds(), 0.001))} records/s`;
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      {
        format: `${file} [{bar}] {percentage}% | {records} records | {speed} records/s | ETA {eta_formatted}`,
        stream: process.stderr,
        etaBuffer: 50,
      },
      Presets.shades_classic,
    );
    bar.start(1, 0, { records: 0, speed: 0 });
    return {
      update: (p: ImportProgress) => {
        records = p.records;
        bar.setTotal(p.totalBytes);
        bar.update(p.bytesRead, { records, speed: Math.round(records / Math.max(seconds(), 0.001)) });
      },
      stop: () => bar.stop(),
      rate,
    };
  }
  let lastLog = 0;
  return {
    update: (p: ImportProgress) => {
      records = p.records;
      if (seconds() - lastLog < 10) return;
      lastLog = seconds();
      const pct = p.totalBytes > 0 ? Math.round((100 * p.bytesRead) / p.totalBytes) : 100;
      console.error(`${file}: ${pct}%, ${records} records, ${rate()}`);
    },
    stop: () => {},
    rate,
  };
}

program
  .command('retag')
  .description('re-tag every paper with the topic rules stored in the database')
  .action(async () => {
    await withDb(async (db) => {
      await prepareDatabase(db, { sampleData: 'off' });
      const started = performance.now();
      const count = await db.transaction().execute(async (trx) => tagPapers(trx, await loadTagger(trx)));
      console.log(`Tagged ${count} papers in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    });
  });

const keys = program.command('keys').description('manage API keys (writes need one: Authorization: Bearer <key>)');

keys
  .command('create')
  .description('create a key and print it (it is shown only this once; the database keeps a hash)')
  .addOption(new Option('--scope <scope...>', 'what the key may do').choices(['write', 'admin']).default(['write']))
  .option('--name <name>', 'what the key is for, shown by keys list', 'unnamed')
  .action(async (options: { scope: ApiScope[]; name: string }) => {
    await withDb(async (db) => {
      await migrateToLatest(db);
      const { key, row } = await createApiKey(db, options.name, [...new Set(options.scope)]);
      console.log(key);
      console.error(`key ${row.id} (${row.prefix}…, scopes ${row.scopes.join(', ')}) created; keep it secret`);
    });
  });

keys
  .command('list')
  .description('list the keys (never the keys themselves)')
  .action(async () => {
    await withDb(async (db) => {
      await migrateToLatest(db);
      for (const k of await listApiKeys(db)) {
        const state = k.revoked_at ? `revoked ${k.revoked_at.toISOString()}` : 'active';
        console.log(`${k.id}\t${k.prefix}…\t${k.scopes.join(',')}\t${state}\t${k.created_at.toISOString()}\t${k.name}`);
      }
    });
  });

keys
  .command('revoke')
  .description('revoke a key by id or prefix; it stops working at once')
  .argument('<key>', 'the key id or prefix, as keys list shows')
  .action(async (idOrPrefix: string) => {
    await withDb(async (db) => {
      await migrateToLatest(db);
      const revoked = await revokeApiKey(db, idOrPrefix.replace(/…$/, ''));
      if (revoked.length === 0) {
        console.error(`no active key has the id or prefix "${idOrPrefix}"`);
        process.exitCode = 1;
      } else for (const k of revoked) console.log(`revoked key ${k.id} (${k.prefix}…)`);
    });
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
