import { type Kysely, sql } from 'kysely';

// Writes: API keys (stored only as hashes), one vote per key and paper, and topics set by
// hand, which the tagger leaves alone. Frozen in time: never imports from src/.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull().check(sql`btrim(name) <> ''`))
    // The first characters of the key, to tell keys apart in listings; not enough to use one.
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', sql`text[]`, (c) =>
      c.notNull().check(sql`cardinality(scopes) > 0 and scopes <@ array['write', 'admin']::text[]`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('paper_votes')
    .addColumn('paper_id', 'integer', (c) => c.notNull().references('papers.id').onDelete('cascade'))
    .addColumn('api_key_id', 'integer', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('paper_votes_pkey', ['paper_id', 'api_key_id'])
    .execute();
  await db.schema.createIndex('paper_votes_api_key_id_idx').on('paper_votes').column('api_key_id').execute();

  await db.schema
    .alterTable('paper_topics')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('tagger').check(sql`source in ('tagger', 'manual')`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('paper_topics').dropColumn('source').execute();
  await db.schema.dropTable('paper_votes').execute();
  await db.schema.dropTable('api_keys').execute();
}
