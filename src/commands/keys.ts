// papergraph keys: API keys, which the database keeps as hashes.
import { createApiKey } from '../auth.ts';
import type { Config } from '../config.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { type ApiScope, findApiKeysByIdOrPrefix, listApiKeys, revokeApiKey } from '../db/queries/api-keys.ts';
import { withDatabase } from './database.ts';
import { CliError } from './errors.ts';

export async function createKey(config: Config, options: { scope: ApiScope[]; name: string }): Promise<void> {
  await withDatabase(config, 'keys create', async (db) => {
    await migrateToLatest(db);
    const { key, row } = await createApiKey(db, options.name, [...new Set(options.scope)]);
    console.log(key);
    console.error(`key ${row.id} (${row.prefix}…, scopes ${row.scopes.join(', ')}) created; keep it secret`);
  });
}

/** A table with a header, columns padded to their widest value. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export async function listKeys(config: Config): Promise<void> {
  await withDatabase(config, 'keys list', async (db) => {
    await migrateToLatest(db);
    const keys = await listApiKeys(db);
    if (keys.length === 0) {
      console.error('no API keys yet: papergraph keys create --scope write --name NAME');
      return;
    }
    console.log(
      table(
        ['ID', 'PREFIX', 'SCOPES', 'STATE', 'CREATED', 'NAME'],
        keys.map((k) => [
          String(k.id),
          `${k.prefix}…`,
          k.scopes.join(','),
          k.revoked_at ? `revoked ${k.revoked_at.toISOString()}` : 'active',
          k.created_at.toISOString(),
          k.name,
        ]),
      ),
    );
  });
}

export async function revokeKey(config: Config, idOrPrefix: string): Promise<void> {
  await withDatabase(config, 'keys revoke', async (db) => {
    await migrateToLatest(db);
    const wanted = idOrPrefix.replace(/…$/, '');
    const matches = (await findApiKeysByIdOrPrefix(db, wanted)).filter((k) => !k.revoked_at);
    if (matches.length === 0)
      throw new CliError(`no active key has the id or prefix "${idOrPrefix}" (papergraph keys list)`);
    if (matches.length > 1) {
      throw new CliError(
        `the prefix "${idOrPrefix}" matches ${matches.length} active keys (${matches.map((k) => k.id).join(', ')}): give the key's id`,
      );
    }
    const [match] = matches;
    if (!match) return;
    const [revoked] = await revokeApiKey(db, match.id);
    if (revoked)
      console.log(`revoked key ${revoked.id} (${revoked.prefix}…, ${revoked.name}): it stops working at once`);
  });
}
