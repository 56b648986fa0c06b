// papergraph migrate and retag: the database's schema and the papers' topics.
import type { Config } from '../config.ts';
import { migrateDown, migrateToLatest } from '../db/migrate.ts';
import { prepareDatabase } from '../db/prepare.ts';
import { inWriteTransaction } from '../db/transaction.ts';
import { loadTagger, tagPapers } from '../topics/tag-papers.ts';
import { withDatabase } from './database.ts';

export async function migrateCommand(config: Config, options: { down?: boolean }): Promise<void> {
  await withDatabase(config, 'migrate', async (db) => {
    const names = options.down ? await migrateDown(db) : await migrateToLatest(db);
    console.log(names.length > 0 ? `${options.down ? 'Undid' : 'Applied'}: ${names.join(', ')}` : 'Nothing to do.');
  });
}

export async function retagCommand(config: Config): Promise<void> {
  await withDatabase(config, 'retag', async (db) => {
    await prepareDatabase(db, { sampleData: 'off' });
    const started = performance.now();
    const count = await inWriteTransaction(db, async (trx) => tagPapers(trx, await loadTagger(trx)));
    console.log(`Tagged ${count} papers in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  });
}
