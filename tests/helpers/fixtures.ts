import { sql } from 'kysely';
import type { Db } from '../../src/db/database.ts';
import { SAMPLE_FILE } from '../../src/db/prepare.ts';
import { importFile } from '../../src/import/import-file.ts';
import type { PaperRecord } from '../../src/import/record.ts';
import { upsertPaperRecords } from '../../src/import/upsert.ts';
import { loadTagger } from '../../src/topics/tag-papers.ts';

/** Imports the bundled 47-paper sample page. */
export function loadSample(db: Db) {
  return importFile(db, SAMPLE_FILE);
}

/** A plausible record; tests override what they care about. */
export function record(overrides: Partial<PaperRecord> = {}): PaperRecord {
  return {
    line: 1,
    arxivId: null,
    title: 'A Study of Pre-training Data for Language Models',
    abstract: 'We pre-train language models on curated web data and study data selection and quality filtering.',
    authorsCount: 3,
    publishedAt: '2025-01-15',
    featuredOn: null,
    upvotes: 1,
    organization: null,
    githubUrl: null,
    projectUrl: null,
    ...overrides,
  };
}

/** Inserts records through the importer's upsert (tagged like real imports). */
export async function addPapers(db: Db, records: PaperRecord[]) {
  return db.transaction().execute(async (trx) => upsertPaperRecords(trx, records, await loadTagger(trx)));
}

/** Every paper row, for computing expectations independently of the API. */
export function allPapers(db: Db) {
  return db.selectFrom('papers').selectAll().orderBy('id').execute();
}

export async function countRows(db: Db, table: 'papers' | 'paper_topics' | 'organizations' | 'topics') {
  const row = await db.selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  return row.n;
}
