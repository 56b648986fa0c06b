// Import benchmark on real PostgreSQL: npm run bench:import [-- --records 1000000]
// For the real 7,876-record file and a generated file, it measures papergraph's import
// (records/s, peak RSS) in a fresh database, and a plain COPY of the same rows into an
// unindexed table in the same run: the practical limit. ADMIN_DATABASE_URL picks the server.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { toPaperRecord } from '../src/import/hf-api.ts';
import { runPapergraph } from './lib/child.ts';
import { memoryMb } from './lib/proc-stats.ts';
import { createThrowawayDatabase, type ThrowawayDatabase } from './lib/throwaway-db.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '1000000' } } });
const REAL = path.resolve('../shared/data/hf-daily-papers.jsonl');
if (!existsSync(REAL)) throw new Error(`${REAL} not found: the benchmark needs ../shared/data`);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'papergraph-bench-'));
const generated = path.join(tmp, `synthetic-${values.records}.jsonl`);
spawnSync('npx', ['tsx', 'scripts/generate-papers.ts', '--records', values.records, '--out', generated], {
  stdio: 'inherit',
});

// Throw-away databases, dropped at the end (also when a step fails).
const databases: ThrowawayDatabase[] = [];
async function freshDatabase(name: string) {
  const db = await createThrowawayDatabase(name);
  databases.push(db);
  return db.url;
}

/** papergraph's import as its users run it (the CLI, in a child process): wall time and peak RSS. */
async function papergraphImport(file: string) {
  const url = await freshDatabase('papergraph_bench_import');
  const env = { DATABASE_URL: url };
  // Migrations and the taxonomy first, so that the timing is the import alone.
  spawnSync('node', ['bin/papergraph.js', 'migrate'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const started = performance.now();
  // Peak RSS (VmHWM) read from /proc while the import runs: it only grows, so the last read is the peak.
  let peakMb = 0;
  let pid: number | undefined;
  const poll = setInterval(() => {
    const mb = pid === undefined ? Number.NaN : memoryMb(pid, 'VmHWM');
    if (!Number.isNaN(mb)) peakMb = Math.max(peakMb, mb);
  }, 100);
  let output: string;
  try {
    output = await runPapergraph(['import', file], env, {
      stderr: 'ignore',
      onStart: (childPid) => {
        pid = childPid;
      },
    });
  } finally {
    clearInterval(poll);
  }
  return { seconds: (performance.now() - started) / 1000, summary: output.trim(), rssMb: Math.round(peakMb) };
}

/** The same rows, parsed the same way, COPYed into a table without indexes or generated columns. */
async function plainCopy(file: string) {
  const url = await freshDatabase('papergraph_bench_copy');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`create table papers_copy (arxiv_id text, title text, abstract text, authors_count int,
    published_at date, featured_on date, upvotes int, github_url text, project_url text, comments_count int,
    github_stars int, ai_summary text, keywords text[], authors text[])`);
  const started = performance.now();
  const esc = (v: unknown) =>
    v === null || v === undefined
      ? '\\N'
      : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  const arr = (xs: string[] | null | undefined) =>
    xs ? `{${xs.map((x) => `"${x.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}` : null;
  async function* rows() {
    let line = 0;
    for await (const text of createInterface({ input: createReadStream(file) })) {
      line++;
      if (!text.trim()) continue;
      const r = toPaperRecord(JSON.parse(text), line);
      yield `${[r.arxivId, r.title, r.abstract, r.authorsCount, r.publishedAt, r.featuredOn, r.upvotes, r.githubUrl, r.projectUrl, r.commentsCount, r.githubStars, r.aiSummary, arr(r.keywords ?? null), arr(r.authors?.map((a) => a.name) ?? null)].map(esc).join('\t')}\n`;
    }
  }
  await pipeline(Readable.from(rows()), client.query(copyFrom('copy papers_copy from stdin')));
  const seconds = (performance.now() - started) / 1000;
  const { rows: count } = await client.query('select count(*)::int as n from papers_copy');
  await client.end();
  return { seconds, records: (count[0] as { n: number }).n };
}

const results: string[] = [];
try {
  for (const [label, file] of [
    ['real (7,876 records)', REAL],
    [`generated (${Number(values.records).toLocaleString('en')} records)`, generated],
  ] as const) {
    const copy = await plainCopy(file);
    const ours = await papergraphImport(file);
    const oursRate = copy.records / ours.seconds;
    const copyRate = copy.records / copy.seconds;
    console.log(`${label}: ${ours.summary}`);
    results.push(
      `| ${label} | ${Math.round(oursRate).toLocaleString('en')} | ${Math.round(copyRate).toLocaleString('en')} | ${(oursRate / copyRate).toFixed(2)} | ${ours.rssMb} MB |`,
    );
  }
} finally {
  for (const db of databases) await db.drop();
  rmSync(tmp, { recursive: true, force: true });
}
console.log('\n| input | papergraph import, records/s | plain COPY, records/s | ratio | peak RSS of the import |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of results) console.log(row);
