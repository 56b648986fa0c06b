// Load check on real PostgreSQL: npm run load:check [-- --seconds 60 --connections 8 --mix normal,writes,adversarial]
// Creates a throw-away database on ADMIN_DATABASE_URL (default postgres://root@127.0.0.1:5432/postgres),
// imports ../shared/data/hf-daily-papers.jsonl when it exists, and for each mix starts `papergraph
// serve` as a child process and drives it with autocannon's normal traffic (~70% reads, ~30%
// writes: load-check/workload.ts), and beside it the mix's own clients:
//   normal       the normal traffic alone (the default)
//   writes       16 writers on the same papers and topics, and an admin swapping topic rules
//                (load-check/writes.ts): no internal error, and exact counts in SQL afterwards
//   adversarial  costly and over-limit queries, fake keys, WebSocket, punctuation searches
//                (load-check/adversarial.ts): no crash, no hang, /health always under 1 s
// It prints requests/s, p50/p99 latency, errors and the server's RSS for the normal traffic,
// then the mix's own report. Exit code 1, with a one-line reason per mix, when a mix broke a
// promise (any error of the normal traffic included). The database is dropped at the end, also on failure.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import {
  createApiKeys,
  freePort,
  ROOT,
  runPapergraph,
  type ServerProcess,
  startServer,
  stopChildren,
  stopServer,
} from './lib/child.ts';
import { createThrowawayDatabase } from './lib/throwaway-db.ts';
import { adversarialMix } from './load-check/adversarial.ts';
import type { Mix } from './load-check/mix.ts';
import { serverLog } from './load-check/server-log.ts';
import { post } from './load-check/tally.ts';
import { answerErrors, drain, measureRun, normalTraffic, runLoad, stopLoad } from './load-check/workload.ts';
import { writesMix } from './load-check/writes.ts';

const MIXES: Record<string, Mix | undefined> = { normal: undefined, writes: writesMix, adversarial: adversarialMix };
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    connections: { type: 'string', default: '8' },
    mix: { type: 'string', default: 'normal' },
  },
});
function usage(message: string): never {
  console.error(message);
  process.exit(2);
}
function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    usage(`--${name} must be a whole number of 1 or more, not ${JSON.stringify(value)}`);
  return n;
}
const SECONDS = positive('seconds', values.seconds);
const CONNECTIONS = positive('connections', values.connections);
const mixes = [...new Set(values.mix.split(',').map((m) => m.trim()))];
for (const m of mixes)
  if (!(m in MIXES)) usage(`--mix takes ${Object.keys(MIXES).join(', ')} (comma-separated), not ${m}`);
const WARMUP_SECONDS = 5;
const DATA_FILE = path.resolve(ROOT, '../shared/data/hf-daily-papers.jsonl');
const COMMAND = ['tsx', path.relative(process.cwd(), process.argv[1] ?? ''), ...process.argv.slice(2)].join(' ');

const interrupt = new AbortController();
let server: ServerProcess | undefined;
function onSignal(signal: NodeJS.Signals) {
  if (interrupt.signal.aborted) return;
  interrupt.abort();
  console.error(`\n${signal}: stopping and cleaning up…`);
  stopLoad();
  stopChildren(server?.child);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
const checkInterrupt = () => {
  if (interrupt.signal.aborted) throw new Error('interrupted');
};

const db = await createThrowawayDatabase(`papergraph_load_${process.pid}`);
console.log(`database ${db.name} created`);
const env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
const sql = new pg.Client({ connectionString: db.url });
sql.on('error', () => {}); // its queries fail and say why; a dropped connection must not crash the run
const createKeys = (scope: 'write' | 'admin', count: number) => createApiKeys(env, scope, count);

async function runMix(name: string, key: string): Promise<string[]> {
  const mix = MIXES[name];
  console.log(`\n== mix ${name}: normal traffic${mix ? ` + ${mix.description}` : ''} ==`);
  const port = await freePort();
  const started = performance.now();
  serverLog.reset(path.join(os.tmpdir(), `papergraph-load-${process.pid}-${name}.log`));
  const serverEnv = { PORT: String(port), HOST: '127.0.0.1', SAMPLE_DATA: 'auto', RATE_LIMIT_PER_MINUTE: '100000000' };
  server = await startServer({
    env: { ...env, ...serverEnv, ...mix?.serverEnv },
    port,
    onLine: serverLog.line,
    signal: interrupt.signal,
  });
  const { pid, url } = server;
  console.log(`server ready on port ${port} (pid ${pid}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const first = await post(url, '{ papers(first: 100) { totalCount nodes { id } } }');
  const papers = first.body?.data?.papers as { totalCount: number; nodes: { id: string }[] } | undefined;
  const paperIds = papers?.nodes.map((p) => p.id) ?? [];
  if (paperIds.length === 0) throw new Error(`the database has no papers (${JSON.stringify(first.body)})`);
  console.log(`${papers?.totalCount} papers; ${paperIds.length} ids for paper(id:) and upvotes`);

  const traffic = normalTraffic(paperIds, key);
  console.log(`warm-up: ${WARMUP_SECONDS} s, ${CONNECTIONS} connections (not counted)…`);
  const warmup = await runLoad(url, WARMUP_SECONDS, CONNECTIONS, traffic.request);
  const warmupErrors = answerErrors(traffic.stats()) + warmup.errors + warmup.timeouts;
  checkInterrupt();
  await drain(warmup);
  const run = await mix?.prepare({ server, databaseUrl: db.url, paperIds, createKeys, signal: interrupt.signal });

  console.log(`measured run: ${SECONDS} s, ${CONNECTIONS} connections${mix ? `, with the ${name} mix` : ''}…`);
  const normal = await measureRun({ pid, traffic, sql, warmupErrors, log: serverLog.summary }, async () => {
    const [result] = await Promise.all([runLoad(url, SECONDS, CONNECTIONS, traffic.request), run?.run(SECONDS)]);
    checkInterrupt();
    return result;
  });
  console.log(`\n-- normal traffic --\n${normal.lines.join('\n')}`);
  const report = await run?.finish();
  if (report) console.log(`\n-- ${name} mix --\n${report.lines.join('\n')}`);
  const exit = await stopServer(server);
  if (exit !== 'exit code 0') console.log(`the server exited with ${exit} after SIGTERM`);
  server = undefined;
  return [...(report?.failures ?? []), ...normal.failures];
}

const failures: string[] = [];
try {
  await sql.connect();
  if (existsSync(DATA_FILE)) {
    console.log(
      `importing ${path.relative(process.cwd(), DATA_FILE)} (so the sample is not loaded: the database is not empty)…`,
    );
    process.stdout.write(await runPapergraph(['import', DATA_FILE], env));
  } else {
    console.log(
      `${path.relative(process.cwd(), DATA_FILE)} not found: no import, the server loads the 47 sample papers`,
    );
  }
  // A fresh import leaves the planner without statistics until autovacuum gets round to it
  // (up to a minute later), and plans change mid-run when it does: measure the steady state.
  await sql.query('analyze');
  const [key = ''] = await createKeys('write', 1);
  for (const name of mixes) {
    const broken = await runMix(name, key);
    if (broken.length > 0) failures.push(`${name}: ${broken.join('; ')}`);
    checkInterrupt();
  }
} catch (error) {
  failures.push(`load check failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  if (server) await stopServer(server);
  stopChildren();
  await sql.end().catch(() => {});
  try {
    await db.drop();
    console.log(`\ndatabase ${db.name} dropped`);
  } catch (error) {
    failures.push(`could not drop database ${db.name}: ${(error as Error).message}`);
  }
}
console.log(`command: ${COMMAND} (${SECONDS} s, ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up)`);
for (const failure of failures) console.log(`FAILED ${failure}`);
if (failures.length === 0) console.log(`passed: ${mixes.join(', ')}`);
process.exit(failures.length > 0 ? 1 : 0);
