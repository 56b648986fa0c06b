// papergraph sync: the Daily Papers API, day by day, into the catalogue. One line per day on
// stderr, a summary on stdout, and an exit code: 0 done, 1 a day failed (or the run was
// stopped), 4 the upstream or the database is unavailable.
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { prepareDatabase } from '../db/prepare.ts';
import { syncDays } from '../sync/sync-days.ts';
import { stderrLog } from '../sync/sync-log.ts';
import { createUpstream, type UpstreamOptions } from '../sync/upstream.ts';
import { withDatabase } from './database.ts';
import { CliError, EXIT } from './errors.ts';

export interface SyncCommandOptions {
  since?: string | undefined;
  until?: string | undefined;
}

export async function syncCommand(config: Config, options: SyncCommandOptions): Promise<number> {
  if (options.until && !options.since) throw new CliError('--until needs --since', EXIT.usage);
  if (options.since && options.until && options.since > options.until) {
    throw new CliError(`--since ${options.since} is after --until ${options.until}`, EXIT.usage);
  }
  return withDatabase(config, 'sync', async (db) => {
    await prepareDatabase(db, { sampleData: 'off' });
    return runSync(db, config, options);
  });
}

/**
 * The command on an open database; returns the exit code. Ctrl-C (or SIGTERM) stops after the
 * day in hand, and the next run resumes; a second Ctrl-C quits at once (the day is rolled back).
 */
export async function runSync(
  db: Db,
  config: Config,
  options: SyncCommandOptions,
  upstreamOptions: Partial<UpstreamOptions> = {},
): Promise<number> {
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(130);
    console.error(`${signal}: stopping after the current day (again to quit at once)`);
    stop.abort(new Error(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await syncDays(db, {
      upstream: createUpstream({
        url: config.syncUrl,
        timeoutMs: config.syncTimeoutMs,
        log: stderrLog,
        ...upstreamOptions,
      }),
      range: options.since ? { since: options.since, until: options.until } : undefined,
      refetchDays: config.syncRefetchDays,
      onBadData: config.syncOnBadData,
      log: stderrLog,
      signal: stop.signal,
      wait: true,
    });
    console.log(
      `sync ${summary.outcome}: ${summary.daysDone} of ${summary.daysPlanned} days merged, ${summary.papersAdded} papers added, ${summary.papersUpdated} updated, ${summary.recordsSkipped} records skipped, ${summary.failures.length} days failed, ${summary.requests} requests`,
    );
    const kind = summary.stoppedBy?.kind;
    if (kind === 'unavailable' || kind === 'database-unavailable') return EXIT.unavailable;
    return summary.outcome === 'completed' ? EXIT.ok : EXIT.failed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
