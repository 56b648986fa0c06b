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
