// papergraph import: files in, papers out, with a progress display and an exit code that says
// whether every record made it.
import { stat } from 'node:fs/promises';
import { Presets, SingleBar } from 'cli-progress';
import type { Config } from '../config.ts';
import { prepareDatabase } from '../db/prepare.ts';
import { ImportError, type ImportFormat } from '../import/import-error.ts';
import { type ImportProgress, importFile } from '../import/import-file.ts';
import { withDatabase } from './database.ts';
import { CliError, EXIT } from './errors.ts';

export interface ImportCommandOptions {
  format?: ImportFormat;
  featuredOn?: string;
  strict?: boolean;
  allowSkipped?: boolean;
}

/** A progress bar on a terminal, by bytes read (records and rate beside it); elsewhere a line every 10 s. */
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
        // The ETA averages the rate over the last 200 updates (about 20,000 records): steady.
        etaBuffer: 200,
        fps: 5,
      },
      Presets.shades_classic,
    );
    bar.start(1, 0, { records: 0, speed: 0 });
    return {
      update: (p: ImportProgress) => {
        records = p.records;
        bar.setTotal(Math.max(p.totalBytes, 1));
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
      console.error(`${file}: ${pct}%, ${records} records read, ${p.written} written, ${rate()}`);
    },
    stop: () => {},
    rate,
  };
}

export async function importCommand(config: Config, files: string[], options: ImportCommandOptions): Promise<number> {
  // A missing or empty file is said before the database is opened (or created).
  for (const file of files) {
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (error) {
      throw new CliError(`import failed: ${file}: ${(error as Error).message}`, EXIT.failed);
    }
    if (size === 0) throw new CliError(`import failed: ${file}: the file is empty`, EXIT.failed);
  }
  return withDatabase(config, 'import', async (db) => {
    await prepareDatabase(db, { sampleData: 'off' });
    let skipped = 0;
    for (const file of files) {
      const progress = createProgress(file);
      try {
        const summary = await importFile(db, file, { ...options, onProgress: progress.update });
        progress.stop();
        for (const p of summary.problems) console.error(`${p.source}:${p.line}: skipped: ${p.message}`);
        const unreported = summary.skipped - summary.problems.length;
        if (unreported > 0) console.error(`${file}: … and ${unreported} more skipped records`);
        console.log(
          `${file}: read ${summary.read}, created ${summary.created}, updated ${summary.updated}, unchanged ${summary.unchanged}, skipped ${summary.skipped} (${progress.rate()})`,
        );
        skipped += summary.skipped;
      } catch (error) {
        progress.stop();
        if (error instanceof ImportError) throw new CliError(`import failed: ${error.message}`, EXIT.failed);
        throw error;
      }
    }
    if (skipped > 0 && !options.allowSkipped) {
      console.error(`${skipped} records were skipped (see above); --allow-skipped accepts that (exit code 0)`);
      return EXIT.skipped;
    }
    return EXIT.ok;
  });
}
