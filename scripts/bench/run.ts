// The benchmark: npm run bench [-- --papers 1000000 --duration 10 --scenarios feed,byId --servers papergraph,limit]
//
// On real PostgreSQL loaded with a generated set (built once per size and reused; RESEED=1
// rebuilds it), it starts one server at a time and drives it with autocannon (8 connections,
// a warm-up, then --duration seconds per scenario):
//   papergraph  the server as users run it (`papergraph serve`, NODE_ENV=production)
//   naive       the same server with every DataLoader dispatching one key at a time (the N+1)
//   limit       node:http + pg answering each scenario with ONE hand-written SQL statement
// Before measuring, every server's responses are checked against the limit's. Printed per
// scenario and server: requests/s, p50/p99 latency, SQL statements per request, server and
// PostgreSQL CPU per request, peak RSS, and requests/s as a ratio to the limit.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { encodeGlobalId } from '../../src/schema/global-id.ts';
import { type ServerProcess, startServer, stopServer } from '../lib/child.ts';
import { cpuMs, memoryMb, postgresCpu, postgresCpuSince } from '../lib/proc-stats.ts';
import { ADMIN_URL, databaseUrl as urlOf } from '../lib/throwaway-db.ts';
import { limitStatement, OPERATION, requestBody, SCENARIOS, type Scenario, variablesFor } from './scenarios.ts';

const { values: args } = parseArgs({
  options: {
    papers: { type: 'string', default: '100000' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '8' },
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    servers: { type: 'string', default: 'limit,papergraph,naive' },
  },
});
const PAPERS = Number(args.papers);
const DURATION = Number(args.duration);
const WARMUP = Number(args.warmup);
const CONNECTIONS = Number(args.connections);
const scenarios = args.scenarios.split(',') as Scenario[];
const servers = args.servers.split(',') as ServerName[];
for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}`);
if (!Number.isSafeInteger(PAPERS) || PAPERS < 1000) throw new Error('--papers must be a whole number ≥ 1000');

type ServerName = 'papergraph' | 'naive' | 'limit';
// Not 5060/5061: fetch refuses those (SIP) as "bad ports".
const PORTS: Record<ServerName, number> = { limit: 5180, papergraph: 5181, naive: 5182 };
const dbName = `papergraph_bench_${PAPERS}`;
const databaseUrl = urlOf(dbName);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'papergraph-bench-'));
const INSTRUMENT = path.resolve('scripts/bench/instrument.cjs');

function run(command: string, argv: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(command, argv, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed (${result.status})`);
}

/** The database of this size, built once: generate the file, migrate, import with the CLI. */
async function ensureDatabase(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const exists = (await admin.query('select 1 from pg_database where datname = $1', [dbName])).rowCount === 1;
  let complete = false;
  if (exists && process.env.RESEED !== '1') {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const row = await client
      .query("select obj_description('papers'::regclass) = 'bench complete' as done")
      .catch(() => ({ rows: [{ done: false }] }));
    complete = row.rows[0]?.done === true;
    await client.end();
  }
  if (!complete) {
    console.log(`building ${dbName} (${PAPERS.toLocaleString('en')} generated papers; reused by later runs)`);
    await admin.query(`drop database if exists ${dbName}`);
    await admin.query(`create database ${dbName}`);
    const file = path.join(tmp, 'papers.jsonl');
    run('npx', ['tsx', 'scripts/generate-papers.ts', '--records', String(PAPERS), '--out', file]);
    run('node', ['bin/papergraph.js', 'migrate'], { DATABASE_URL: databaseUrl });
    run('node', ['bin/papergraph.js', 'import', file], { DATABASE_URL: databaseUrl });
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query('vacuum analyze');
    await client.query("comment on table papers is 'bench complete'");
    await client.end();
  } else {
    // Newer migrations apply to the stored set too.
    run('node', ['bin/papergraph.js', 'migrate'], { DATABASE_URL: databaseUrl });
  }
  await admin.end();
}

interface Started {
  server: ServerProcess;
  statementsFile: string;
}

/** A server, by name, with the statement counter of instrument.cjs; ready once it answers a query. */
async function startBenchServer(name: ServerName): Promise<Started> {
  const statementsFile = path.join(tmp, `${name}.statements`);
  const server = await startServer({
    name: `${name} server`,
    args:
      name === 'limit'
        ? ['--require', INSTRUMENT, '--import', 'tsx', 'scripts/bench/limit-server.ts']
        : ['--require', INSTRUMENT, 'bin/papergraph.js', 'serve'],
    env: {
      DATABASE_URL: databaseUrl,
      PORT: String(PORTS[name]),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      SAMPLE_DATA: 'off',
      RATE_LIMIT_PER_MINUTE: '1000000000',
      BENCH_STATEMENTS_FILE: statementsFile,
      BENCH_NO_BATCHING: name === 'naive' ? '1' : '0',
    },
    port: PORTS[name],
    ready: async (origin) => {
      await post(`${origin}/graphql`, requestBody('count', ''));
      return true;
    },
    timeoutMs: 30_000,
  });
  return { server, statementsFile };
}

async function post(url: string, body: string): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body,
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  return response.json();
}

async function statementsSoFar(server: Started): Promise<number> {
  rmSync(server.statementsFile, { force: true });
  process.kill(server.server.pid, 'SIGUSR2');
  for (let i = 0; i < 100 && !existsSync(server.statementsFile); i++) await new Promise((r) => setTimeout(r, 20));
  return Number(readFileSync(server.statementsFile, 'utf8'));
}

/** Floats rounded so that float4/float8 renderings of the same rank compare equal. */
function canonical(value: unknown): unknown {
  if (typeof value === 'number' && !Number.isInteger(value)) return Math.round(value * 1e5) / 1e5;
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}

interface Cell {
  scenario: Scenario;
  server: ServerName;
  rps: number;
  p50: number;
  p99: number;
  statements: number;
  serverCpu: number;
  pgCpu: number;
  rssMb: number;
  errors: number;
}

await ensureDatabase();
const pick = new pg.Client({ connectionString: databaseUrl });
await pick.connect();
const middle = await pick.query('select id from papers order by id offset $1 limit 1', [Math.floor(PAPERS / 2)]);
await pick.end();
const paperId = encodeGlobalId('Paper', middle.rows[0].id as number);

const reference = new Map<Scenario, string>();
const cells: Cell[] = [];
const order: ServerName[] = ['limit', ...servers.filter((s) => s !== 'limit')];
for (const name of order) {
  const started = await startBenchServer(name);
  const { server } = started;
  try {
    for (const scenario of scenarios) {
      // The limit has hand-written SQL for the five core scenarios only.
      if (name === 'limit' && !limitStatement(OPERATION[scenario], variablesFor(scenario, paperId))) continue;
      const body = requestBody(scenario, paperId);
      const response = (await post(server.url, body)) as { data?: unknown; errors?: unknown };
      if (response.errors) throw new Error(`${name} ${scenario}: ${JSON.stringify(response.errors)}`);
      const shape = JSON.stringify(canonical(response.data));
      if (name === 'limit') reference.set(scenario, shape);
      else if (reference.has(scenario) && reference.get(scenario) !== shape) {
        throw new Error(
          `${name} ${scenario}: the response differs from the limit's\n${shape}\n${reference.get(scenario)}`,
        );
      }
      // Requests of the previous scenario's load may still be finishing: let them, so that
      // their statements are not counted here.
      await new Promise((r) => setTimeout(r, 500));
      const before = await statementsSoFar(started);
      for (let i = 0; i < 10; i++) await post(server.url, body);
      const statements = ((await statementsSoFar(started)) - before) / 10;

      const load = (seconds: number) =>
        autocannon({
          url: server.url,
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body,
          connections: CONNECTIONS,
          duration: seconds,
        });
      await load(WARMUP);
      const serverCpu0 = cpuMs(server.pid);
      const pgCpu0 = postgresCpu();
      const result = await load(DURATION);
      const requests = result.requests.total;
      const cell: Cell = {
        scenario,
        server: name,
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        statements,
        serverCpu: (cpuMs(server.pid) - serverCpu0) / requests,
        pgCpu: postgresCpuSince(pgCpu0) / requests,
        rssMb: Math.round(memoryMb(server.pid, 'VmHWM')),
        errors: result.errors + result.non2xx,
      };
      cells.push(cell);
      console.log(
        `${scenario} ${name}: ${cell.rps.toFixed(1)} req/s, p50 ${cell.p50} ms, p99 ${cell.p99} ms, ${cell.statements} statements`,
      );
    }
  } finally {
    await stopServer(server);
  }
}
rmSync(tmp, { recursive: true, force: true });

const limitRps = new Map(cells.filter((c) => c.server === 'limit').map((c) => [c.scenario, c.rps]));
console.log(
  `\n${PAPERS.toLocaleString('en')} papers, ${CONNECTIONS} connections, ${DURATION} s per cell after ${WARMUP} s warm-up, ${os.cpus().length} cores\n`,
);
console.log(
  '| scenario | server | req/s | ÷ limit | p50 ms | p99 ms | SQL/req | server CPU ms/req | PG CPU ms/req | RSS MiB | errors |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const scenario of scenarios) {
  for (const c of cells.filter((cell) => cell.scenario === scenario)) {
    const limit = limitRps.get(scenario);
    console.log(
      `| ${scenario} | ${c.server} | ${c.rps.toFixed(1)} | ${limit ? (c.rps / limit).toFixed(2) : 'n/a'} | ${c.p50} | ${c.p99} | ${c.statements} | ${c.serverCpu.toFixed(2)} | ${c.pgCpu.toFixed(2)} | ${c.rssMb} | ${c.errors} |`,
    );
  }
}
