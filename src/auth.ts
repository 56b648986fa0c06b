import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db/database.ts';
import { type ApiKeyRow, type ApiScope, findApiKeyByHash, insertApiKey } from './db/queries/api-keys.ts';

/** Who is calling: an API key's id and scopes, or nobody (public reads). */
export interface Viewer {
  keyId: number;
  scopes: ApiScope[];
}

// Keys carry 256 random bits, so a plain SHA-256 is enough to store them: there is nothing
// to brute-force that a slow hash would protect.
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Creates a key: returns the key (shown once, never stored) and its row. */
export async function createApiKey(db: Db, name: string, scopes: ApiScope[]): Promise<{ key: string; row: ApiKeyRow }> {
  const key = `pg_${randomBytes(32).toString('base64url')}`;
  const row = await insertApiKey(db, { name, prefix: key.slice(0, 11), keyHash: hashKey(key), scopes });
  return { key, row };
}

export type AuthResult = { viewer: Viewer | null } | { error: string };

/** Reads `Authorization: Bearer <key>`; no header is a public reader, a bad or revoked key an error. */
export async function authenticate(db: Db, authorization: string | null): Promise<AuthResult> {
  if (!authorization) return { viewer: null };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) return { error: 'The Authorization header must be "Bearer <api key>".' };
  const row = await findApiKeyByHash(db, hashKey(match[1]));
  if (!row) return { error: 'The API key is not valid.' };
  if (row.revoked_at) return { error: 'The API key has been revoked.' };
  return { viewer: { keyId: row.id, scopes: row.scopes } };
}
