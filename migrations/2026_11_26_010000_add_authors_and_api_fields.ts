import { type Kysely, sql } from 'kysely';

// What the Daily Papers API records carry beyond the page text: author names, comments,
// GitHub stars, AI keywords and summary. Frozen in time: never imports from src/.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('papers')
    .addColumn('comments_count', 'integer', (c) => c.notNull().defaultTo(0).check(sql`comments_count >= 0`))
    .addColumn('github_stars', 'integer', (c) => c.check(sql`github_stars >= 0`))
    .addColumn('ai_summary', 'text')
    .addColumn('keywords', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    // The day of the newest record merged into the paper: a record at least as new overrides
    // the stored values, an older one only fills gaps, so imports in any order agree.
    .addColumn('source_date', 'date')
    .execute();

  // One row per distinct name: papergraph treats the same name as the same person.
  await db.schema
    .createTable('authors')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull().unique().check(sql`btrim(name) <> ''`))
    .execute();

  await db.schema
    .createTable('paper_authors')
    .addColumn('paper_id', 'integer', (c) => c.notNull().references('papers.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull().check(sql`position >= 1`))
    .addColumn('author_id', 'integer', (c) => c.notNull().references('authors.id').onDelete('cascade'))
    // Hugging Face lets authors hide themselves from a paper's page; the name stays known.
    .addColumn('hidden', 'boolean', (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('paper_authors_pkey', ['paper_id', 'position'])
    .execute();
  await db.schema
    .createIndex('paper_authors_author_id_idx')
    .on('paper_authors')
    .columns(['author_id', 'paper_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('paper_authors').execute();
  await db.schema.dropTable('authors').execute();
  await db.schema
    .alterTable('papers')
    .dropColumn('comments_count')
    .dropColumn('github_stars')
    .dropColumn('ai_summary')
    .dropColumn('keywords')
    .dropColumn('source_date')
    .execute();
}
