import { sql } from 'kysely';
import type { Db } from '../database.ts';
import type { OrganizationRow } from '../types.ts';

/** Organizations with these ids, in no particular order (the loader sorts). */
export function findOrganizationsByIds(db: Db, ids: readonly number[]): Promise<OrganizationRow[]> {
  return db
    .selectFrom('organizations')
    .selectAll()
    .where('id', '=', sql<number>`any(${[...ids]}::int[])`)
    .execute();
}

/** The organization with this name (case-insensitive), or undefined. */
export function findOrganizationByName(db: Db, name: string): Promise<OrganizationRow | undefined> {
  return db
    .selectFrom('organizations')
    .selectAll()
    .where(sql<string>`lower(name)`, '=', name.toLowerCase())
    .orderBy('id')
    .executeTakeFirst();
}

/**
 * Ids of organizations by name, creating the missing ones; display names fill in where
 * they were unknown. One entry per distinct name.
 */
export async function upsertOrganizations(
  db: Db,
  orgs: readonly { name: string; displayName: string | null }[],
): Promise<Map<string, number>> {
  const unique = new Map(orgs.map((o) => [o.name, o.displayName]));
  if (unique.size === 0) return new Map();
  const rows = await db
    .insertInto('organizations')
    .values([...unique].map(([name, display_name]) => ({ name, display_name })))
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({
        display_name: sql<string>`coalesce(organizations.display_name, excluded.display_name)`,
      }),
    )
    .returning(['id', 'name'])
    .execute();
  return new Map(rows.map((r) => [r.name, r.id]));
}

export type OrganizationWithCount = OrganizationRow & { paper_count: number };

/**
 * A page of organizations ordered by paper count (most first), then id. `after`/`before` are
 * keysets [paper_count, id]; `inverted` walks backwards. Returns up to `limit` rows.
 */
export async function findOrganizationsByPaperCount(
  db: Db,
  page: { after?: [number, number]; before?: [number, number]; limit: number; inverted: boolean },
): Promise<OrganizationWithCount[]> {
  const counted = db
    .selectFrom('organizations as o')
    .selectAll('o')
    .select((eb) =>
      eb
        .selectFrom('papers as p')
        .select(sql<number>`count(*)::int`.as('n'))
        .whereRef('p.organization_id', '=', 'o.id')
        .$asScalar()
        .$notNull()
        .as('paper_count'),
    )
    .as('c');
  let query = db.selectFrom(counted).selectAll('c');
  // Descending by count, ascending by id: "after" means fewer papers, or as many and a larger id.
  if (page.after)
    query = query.where(
      sql<boolean>`(c.paper_count < ${page.after[0]} or (c.paper_count = ${page.after[0]} and c.id > ${page.after[1]}))`,
    );
  if (page.before)
    query = query.where(
      sql<boolean>`(c.paper_count > ${page.before[0]} or (c.paper_count = ${page.before[0]} and c.id < ${page.before[1]}))`,
    );
  const dir = page.inverted ? ('asc' as const) : ('desc' as const);
  return query
    .orderBy('c.paper_count', dir)
    .orderBy('c.id', page.inverted ? 'desc' : 'asc')
    .limit(page.limit)
    .execute();
}
