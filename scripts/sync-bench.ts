// Sync benchmark: npx tsx scripts/sync-bench.ts
// The 7,876 shared records served by the local fake upstream (tests/helpers/fake-upstream.ts),
// synced into a fresh PostgreSQL database (ADMIN_DATABASE_URL picks the server) as the command
// does: every featured day from the first to the last, 100 entries a page. Then the same range
// again (every page a 304), and what the Hugging Face quota (500 requests / 5 min) would add.
import pg from 'pg';
import { createDb } from '../src/db/database.ts';
import { prepareDatabase } from '../src/db/prepare.ts';
import { syncDays } from '../src/sync/sync-days.ts';
import { silentLog } from '../src/sync/sync-log.ts';
import { createUpstream } from '../src/sync/upstream.ts';
import { loadDays, startFakeUpstream } from '../tests/helpers/fake-upstream.ts';

const adminUrl = process.env.ADMIN_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const name = `papergraph_bench_sync_${process.pid}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`create database ${name}`);
const days = loadDays();
const fake = await startFakeUpstream(days);
const sorted = [...days.keys()].sort();
const since = sorted[0] ?? '';
const until = sorted.at(-1) ?? '';
const records = [...days.values()].reduce((n, list) => n + list.length, 0);
try {
  const db = await createDb({ databaseUrl: Object.assign(new URL(adminUrl), { pathname: `/${name}` }).href });
  await prepareDatabase(db, { sampleData: 'off' });
  const run = async (label: string) => {
    fake.requests.length = 0;
    const upstream = createUpstream({ url: fake.url, timeoutMs: 30_000, log: silentLog });
    const started = performance.now();
    const summary = await syncDays(db, {
      upstream,
      range: { since, until },
      refetchDays: 3,
      onBadData: 'skip-day',
      log: silentLog,
      wait: true,
    });
    const seconds = (performance.now() - started) / 1000;
    const counts = new Map<number, number>();
    for (const r of fake.requests) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    const statuses = [...counts].map(([status, count]) => `${count}×${status}`).join(', ');
    console.log(
      `${label}: ${summary.outcome}, ${summary.daysDone} days (${since} to ${until}), ${summary.papersAdded} papers added, ${summary.papersUpdated} updated, ${summary.recordsSkipped} records skipped, ${summary.requests} requests (${statuses}) in ${seconds.toFixed(1)} s`,
    );
    return summary;
  };
  console.log(`${records} records on ${days.size} featured days`);
  const first = await run('first sync ');
  await run('second sync');
  const papers = await db
    .selectFrom('papers')
    .select((eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('n'))
    .executeTakeFirstOrThrow();
  console.log(`papers in the database: ${papers.n}`);
  const windows = Math.ceil(first.requests / 500) - 1;
  console.log(
    `against huggingface.co (500 API requests per 5 minutes per IP): ${first.requests} requests need ${windows} more window(s), ~${windows * 5} min of waiting for the RateLimit reset`,
  );
  await db.destroy();
} finally {
  await fake.close();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}
