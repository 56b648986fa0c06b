import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
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

/**
 * Reads `Authorization: Bearer <key>`: no header is a public reader, a bad or revoked key an
 * error. Keys known to fail are remembered: unknown ones (a key is 256 random bits: one nobody
 * was given never becomes valid) and revoked ones (revocation is final), so that a client
 * sending fake keys costs no database lookup each. Valid keys are looked up every time, so a
 * revocation takes effect at once.
 */
export function createAuthenticator(db: Db): (authorization: string | null) => Promise<AuthResult> {
  const failing = new LRUCache<string, string>({ max: 10_000 });
  return async (authorization) => {
    if (!authorization) return { viewer: null };
    const match = /^Bearer\s+(\S{1,200})\s*$/i.exec(authorization);
    if (!match?.[1]) return { error: 'The Authorization header must be "Bearer <api key>".' };
    const hash = hashKey(match[1]);
    const known = failing.get(hash);
    if (known) return { error: known };
    const row = await findApiKeyByHash(db, hash);
    if (row && !row.revoked_at) return { viewer: { keyId: row.id, scopes: row.scopes } };
    const error = row ? 'The API key has been revoked.' : 'The API key is not valid.';
    failing.set(hash, error);
    return { error };
  };
}
