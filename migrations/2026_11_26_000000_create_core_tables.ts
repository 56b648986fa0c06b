import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations never import from src/.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('organizations')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull().unique().check(sql`btrim(name) <> ''`))
    .addColumn('display_name', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('topics')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('slug', 'text', (c) => c.notNull().unique().check(sql`slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'`))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`btrim(name) <> ''`))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('parent_id', 'integer', (c) => c.references('topics.id').onDelete('restrict'))
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('topics_not_own_parent', sql`parent_id <> id`)
    .execute();
  await db.schema.createIndex('topics_parent_id_idx').on('topics').column('parent_id').execute();

  // The tagger's definitions: data, so that a topic's rules change without a deploy.
  await db.schema
    .createTable('topic_rules')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('topic_id', 'integer', (c) => c.notNull().references('topics.id').onDelete('cascade'))
    .addColumn('pattern', 'text', (c) => c.notNull().check(sql`btrim(pattern) <> ''`))
    .addColumn('weight', 'real', (c) => c.notNull().defaultTo(1).check(sql`weight > 0`))
    .addUniqueConstraint('topic_rules_topic_pattern_key', ['topic_id', 'pattern'])
    .execute();

  await db.schema
    .createTable('papers')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('arxiv_id', 'text', (c) => c.unique())
    .addColumn('title', 'text', (c) => c.notNull().check(sql`btrim(title) <> ''`))
    .addColumn('abstract', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('authors_count', 'integer', (c) => c.check(sql`authors_count >= 1`))
    .addColumn('published_at', 'date')
    .addColumn('featured_on', 'date')
    .addColumn('upvotes', 'integer', (c) => c.notNull().defaultTo(0).check(sql`upvotes >= 0`))
    .addColumn('organization_id', 'integer', (c) => c.references('organizations.id').onDelete('set null'))
    .addColumn('github_url', 'text', (c) => c.check(sql`github_url ~ '^https://github\\.com/'`))
    .addColumn('project_url', 'text', (c) => c.check(sql`project_url ~ '^https?://'`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // The key that importers match on when a paper has no arXiv id: case, punctuation and
    // spacing removed, so "Tiny Language Models." and "tiny  language models" are one paper.
    .addColumn('title_key', 'text', (c) =>
      c.notNull().generatedAlwaysAs(sql`btrim(lower(regexp_replace(title, '[^[:alnum:]]+', ' ', 'g')))`).stored(),
    )
    .addColumn('search', sql`tsvector`, (c) =>
      c
        .notNull()
        .generatedAlwaysAs(
          sql`setweight(to_tsvector('english'::regconfig, title), 'A') || setweight(to_tsvector('english'::regconfig, abstract), 'B')`,
        )
        .stored(),
    )
    .execute();
  await db.schema.createIndex('papers_search_idx').on('papers').using('gin').column('search').execute();
  await db.schema.createIndex('papers_title_key_idx').on('papers').column('title_key').execute();
  await db.schema.createIndex('papers_organization_id_idx').on('papers').columns(['organization_id', 'id']).execute();
  // Keyset pagination: one index per sort order, each ending in id, the unique tiebreaker.
  // Missing dates sort as the oldest ('-infinity'), so the sort key is never NULL.
  await sql`create index papers_published_at_idx on papers ((coalesce(published_at, '-infinity'::date)), id)`.execute(
    db,
  );
  await sql`create index papers_featured_on_idx on papers ((coalesce(featured_on, '-infinity'::date)), id)`.execute(db);
  await db.schema.createIndex('papers_upvotes_idx').on('papers').columns(['upvotes', 'id']).execute();
  await db.schema.createIndex('papers_title_idx').on('papers').columns(['title', 'id']).execute();

  await db.schema
    .createTable('paper_topics')
    .addColumn('paper_id', 'integer', (c) => c.notNull().references('papers.id').onDelete('cascade'))
    .addColumn('topic_id', 'integer', (c) => c.notNull().references('topics.id').onDelete('cascade'))
    .addColumn('score', 'real', (c) => c.notNull().check(sql`score > 0 and score <= 1`))
    .addPrimaryKeyConstraint('paper_topics_pkey', ['paper_id', 'topic_id'])
    .execute();
  await db.schema
    .createIndex('paper_topics_topic_id_idx')
    .on('paper_topics')
    .columns(['topic_id', 'paper_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['paper_topics', 'papers', 'topic_rules', 'topics', 'organizations']) {
    await db.schema.dropTable(table).execute();
  }
}
