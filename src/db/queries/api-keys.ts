import { sql } from 'kysely';
import type { Db } from '../database.ts';

export type ApiScope = 'write' | 'admin';

export interface ApiKeyRow {
  id: number;
  name: string;
  prefix: string;
  scopes: ApiScope[];
  created_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = ['id', 'name', 'prefix', 'scopes', 'created_at', 'revoked_at'] as const;

/** Stores a new key by its hash; returns the row (the key itself is never stored). */
export async function insertApiKey(
  db: Db,
  key: { name: string; prefix: string; keyHash: string; scopes: ApiScope[] },
): Promise<ApiKeyRow> {
  return (await db
    .insertInto('api_keys')
    .values({ name: key.name, prefix: key.prefix, key_hash: key.keyHash, scopes: key.scopes })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow()) as ApiKeyRow;
}

/** The key with this hash, revoked or not, or undefined. */
export async function findApiKeyByHash(db: Db, keyHash: string): Promise<ApiKeyRow | undefined> {
  return (await db.selectFrom('api_keys').select(COLUMNS).where('key_hash', '=', keyHash).executeTakeFirst()) as
    | ApiKeyRow
    | undefined;
}

/** Every key, newest first. */
export async function listApiKeys(db: Db): Promise<ApiKeyRow[]> {
  return (await db.selectFrom('api_keys').select(COLUMNS).orderBy('id', 'desc').execute()) as ApiKeyRow[];
}

/** Keys whose id or prefix is this (a prefix may match several), revoked or not, oldest first. */
export async function findApiKeysByIdOrPrefix(db: Db, idOrPrefix: string): Promise<ApiKeyRow[]> {
  const byId = /^\d{1,9}$/.test(idOrPrefix) ? Number(idOrPrefix) : -1;
  return (await db
    .selectFrom('api_keys')
    .select(COLUMNS)
    .where((eb) => eb.or([eb('id', '=', byId), eb('prefix', '=', idOrPrefix)]))
    .orderBy('id')
    .execute()) as ApiKeyRow[];
}

/** Revokes the key with this id; returns it (none when unknown or already revoked). */
export async function revokeApiKey(db: Db, id: number): Promise<ApiKeyRow[]> {
  return (await db
    .updateTable('api_keys')
    .set({ revoked_at: sql`now()` })
    .where('revoked_at', 'is', null)
    .where('id', '=', id)
    .returning(COLUMNS)
    .execute()) as ApiKeyRow[];
}
