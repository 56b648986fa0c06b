import { type Kysely, sql } from 'kysely';

// Scale for per-topic lists and counts (a million papers, ~2.5 topics each):
// - paper_topics carries its paper's publication day (`published_key`, the same NULL-free sort
//   key as papers_published_at_idx), so "the newest papers of a topic" is one index range
//   read: (topic_id, published_key desc, paper_id desc). A trigger keeps it in step when a
//   paper's date changes; inserts set it from papers (src/db/queries/paper-topics.ts).
// - topics.paper_count is kept by statement-level triggers, so a topic's paper count is a
//   primary-key read instead of counting hundreds of thousands of index entries.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table paper_topics add column published_key date`.execute(db);
  await sql`update paper_topics pt set published_key = coalesce(p.published_at, '-infinity'::date)
            from papers p where p.id = pt.paper_id`.execute(db);
  await sql`alter table paper_topics alter column published_key set not null`.execute(db);
  await sql`create index paper_topics_topic_newest_idx on paper_topics (topic_id, published_key desc, paper_id desc)`.execute(
    db,
  );
  // The new index serves every lookup by topic the old (topic_id, paper_id) one did.
  await sql`drop index paper_topics_topic_id_idx`.execute(db);

  await sql`create function papers_sync_published_key() returns trigger language plpgsql as $$
    begin
      update paper_topics set published_key = coalesce(new.published_at, '-infinity'::date)
      where paper_id = new.id;
      return null;
    end $$`.execute(db);
  await sql`create trigger papers_sync_published_key after update of published_at on papers
            for each row when (old.published_at is distinct from new.published_at)
            execute function papers_sync_published_key()`.execute(db);

  await sql`alter table topics add column paper_count integer not null default 0`.execute(db);
  await sql`update topics t set paper_count = (select count(*) from paper_topics pt where pt.topic_id = t.id)`.execute(
    db,
  );
  // One function for inserts, deletes and updates: per topic it adds the new rows and
  // subtracts the old ones. A statement names only the transition tables its event has, and
  // PL/pgSQL plans a statement when it first runs, so each branch touches only its own.
  // Deadlocks: a transaction that re-tags a paper deletes rows of some topics, then inserts
  // rows of others, so two such transactions would lock topic rows in different orders. Each
  // call therefore locks every topic row, in id order, before counting (a no-op for the rows
  // it holds already): the first paper_topics write of a transaction takes them all at once,
  // and writers of paper topics queue instead of deadlocking. FOR NO KEY UPDATE leaves the
  // foreign-key checks of other inserts (FOR KEY SHARE) unblocked.
  await sql`create function paper_topics_count() returns trigger language plpgsql as $$
    begin
      perform 1 from topics order by id for no key update;
      if tg_op = 'INSERT' then
        update topics t set paper_count = t.paper_count + d.n
        from (select topic_id, count(*)::int as n from new_rows group by topic_id) d where t.id = d.topic_id;
      elsif tg_op = 'DELETE' then
        update topics t set paper_count = t.paper_count - d.n
        from (select topic_id, count(*)::int as n from old_rows group by topic_id) d where t.id = d.topic_id;
      else
        update topics t set paper_count = t.paper_count + d.n
        from (select topic_id, sum(n)::int as n from (
                select topic_id, 1 as n from new_rows union all select topic_id, -1 from old_rows) u
              group by topic_id) d
        where t.id = d.topic_id and d.n <> 0;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger paper_topics_count_inserted after insert on paper_topics
            referencing new table as new_rows for each statement execute function paper_topics_count()`.execute(db);
  await sql`create trigger paper_topics_count_deleted after delete on paper_topics
            referencing old table as old_rows for each statement execute function paper_topics_count()`.execute(db);
  await sql`create trigger paper_topics_count_updated after update on paper_topics
            referencing old table as old_rows new table as new_rows for each statement
            execute function paper_topics_count()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const event of ['inserted', 'deleted', 'updated']) {
    await sql`drop trigger ${sql.raw(`paper_topics_count_${event}`)} on paper_topics`.execute(db);
  }
  await sql`drop function paper_topics_count()`.execute(db);
  await sql`drop trigger papers_sync_published_key on papers`.execute(db);
  await sql`drop function papers_sync_published_key()`.execute(db);
  await sql`alter table topics drop column paper_count`.execute(db);
  await sql`create index paper_topics_topic_id_idx on paper_topics (topic_id, paper_id)`.execute(db);
  await sql`alter table paper_topics drop column published_key`.execute(db);
}
