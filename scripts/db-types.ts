// Regenerates src/db/types.generated.ts from the migrations (or, with --verify, fails when it
// is stale): migrates a throw-away PostgreSQL database and runs kysely-codegen against it.
// kysely-codegen has no PGlite dialect, so this needs a server: ADMIN_DATABASE_URL, else
// TEST_DATABASE_URL, else postgres://root@127.0.0.1:5432/postgres.
import { spawnSync } from 'node:child_process';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../src/db/migrate.ts';

const adminUrl =
  process.env.ADMIN_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const verify = process.argv.includes('--verify');
const name = `papergraph_codegen_${process.pid}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`create database ${name}`);
let status = 1;
try {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.href }) }),
  });
  await migrateToLatest(db);
  await sql`select 1`.execute(db);
  await db.destroy();
  const args = [
    'kysely-codegen',
    '--dialect',
    'postgres',
    '--url',
    url.href,
    '--out-file',
    'src/db/types.generated.ts',
    '--exclude-pattern',
    'kysely_migration*',
    '--date-parser',
    'string',
    ...(verify ? ['--verify'] : []),
  ];
  status = spawnSync('npx', args, { stdio: 'inherit' }).status ?? 1;
} finally {
  await admin.query(`drop database if exists ${name}`);
  await admin.end();
}
process.exit(status);
