// On PostgreSQL, reads run as named prepared statements (parsed and planned once per connection,
// not on every request), and none of them breaks when a migration adds a column while servers
// run: a prepared statement whose result columns change fails ("cached plan must not change
// result type"), so statements that read `*` are never prepared.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOrganizationsByIds } from '../../src/db/queries/organizations.ts';
import { findPapersByIds } from '../../src/db/queries/papers.ts';
import { searchPapers } from '../../src/db/queries/search.ts';
import { findTopicsBySlugs, findTopicsOfPapers } from '../../src/db/queries/topics.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { addPapers, allPapers, record } from '../helpers/fixtures.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
  await addPapers(t.db, [record({ title: 'Prepared', organization: { name: 'org-p', displayName: null } })]);
});
afterAll(() => t.destroy());

describe.runIf(!!process.env.TEST_DATABASE_URL)('prepared reads on PostgreSQL', () => {
  it('are prepared once per connection, and survive a column added under them', async () => {
    const [paper] = await allPapers(t.db);
    const id = paper?.id ?? 0;
    const organizationId = paper?.organization_id ?? 0;
    // One connection throughout: prepared statements belong to it.
    await t.db.connection().execute(async (db) => {
      const read = async () => ({
        papers: (await findPapersByIds(db, [id])).map((p) => p.title),
        topics: (await findTopicsBySlugs(db, ['pre-training'])).map((topic) => topic.slug),
        topicsOfPapers: (await findTopicsOfPapers(db, [id])).length,
        organizations: (await findOrganizationsByIds(db, [organizationId])).map((o) => o.name),
      });
      const before = await read();
      expect(before).toMatchObject({ papers: ['Prepared'], topics: ['pre-training'], organizations: ['org-p'] });
      // A search's best plan depends on its text: it is never prepared (a generic plan could stick).
      await searchPapers(db, 'prepared', {}, { mode: 'fulltext', limit: 5 });
      const { rows } = await sql<{ name: string; statement: string }>`
        select name, statement from pg_prepared_statements`.execute(db);
      expect(rows.filter((row) => row.name.startsWith('papergraph_')).length).toBeGreaterThanOrEqual(3);
      expect(rows.filter((row) => row.statement.includes('websearch_to_tsquery'))).toEqual([]);
      for (const table of ['papers', 'topics', 'paper_topics', 'organizations']) {
        await sql`alter table ${sql.table(table)} add column added_later int`.execute(db);
      }
      expect(await read()).toEqual(before);
    });
  });
});
