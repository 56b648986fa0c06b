// Load check on real PostgreSQL: npm run load:check [-- --seconds 60 --connections 8]
// Creates a throw-away database on ADMIN_DATABASE_URL (default postgres://root@127.0.0.1:5432/postgres),
// imports ../shared/data/hf-daily-papers.jsonl when it exists, starts `papergraph serve` as a
// child process, and drives it with autocannon: ~70% reads (a paper list, a nested topics query,
// paper by id) and ~30% writes (upvote/removeUpvote, createPaper) with a write key. It prints
// requests/s, p50/p99 latency, errors (non-2xx, GraphQL errors, failed mutation payloads,
// connection errors) and the server's RSS after the warm-up and at the end. Exit code 1 when
// there was any error. The database is dropped at the end, also on failure.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    connections: { type: 'string', default: '8' },
  },
});
function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a whole number of 1 or more, not ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}
const SECONDS = positive('seconds', values.seconds);
const CONNECTIONS = positive('connections', values.connections);
const WARMUP_SECONDS = 5;
const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin/papergraph.js');
const DATA_FILE = path.resolve(ROOT, '../shared/data/hf-daily-papers.jsonl');
const ADMIN_URL = process.env.ADMIN_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const DB_NAME = `papergraph_load_${process.pid}`;
const DB_URL = Object.assign(new URL(ADMIN_URL), { pathname: `/${DB_NAME}` }).href;
const COMMAND = [
  'tsx',
  path.relative(process.cwd(), process.argv[1] ?? 'scripts/load-check.ts'),
  ...process.argv.slice(2),
]
  .join(' ')
  .trim();

// ---------------------------------------------------------------------------------------------
// Child processes and clean-up

const children = new Set<ChildProcess>();
let server: ChildProcess | undefined;
let running: autocannon.Instance | undefined;
let interrupted = false;

function onSignal(signal: NodeJS.Signals) {
  if (interrupted) return;
  interrupted = true;
  console.error(`\n${signal}: stopping and cleaning up…`);
  running?.stop();
  for (const child of children) if (child !== server) child.kill('SIGTERM');
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, DATABASE_URL: DB_URL, LOG_LEVEL: 'warn', ...extra };
}

/** Runs a papergraph command to completion; returns its stdout (stderr goes to ours). */
async function papergraph(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  children.delete(child);
  if (code !== 0) throw new Error(`papergraph ${args[0]} failed (${signal ?? `exit code ${code}`})`);
  return out;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  const port = typeof address === 'object' && address ? address.port : 4310;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The server's log lines (warn and above: LOG_LEVEL=warn), passed to stderr and counted. */
const serverLog = { lines: 0, levels: new Map<string, number>() };
const LEVELS: Record<number, string> = { 40: 'warn', 50: 'error', 60: 'fatal' };
function watchServerOutput(stream: NodeJS.ReadableStream | null) {
  let pending = '';
  stream?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      serverLog.lines++;
      let level = 'other';
      try {
        level = LEVELS[(JSON.parse(line) as { level?: number }).level ?? 0] ?? 'other';
      } catch {
        // not a pino line
      }
      serverLog.levels.set(level, (serverLog.levels.get(level) ?? 0) + 1);
      if (serverLog.lines <= 20) console.error(`[server] ${line}`);
      else if (serverLog.lines === 21) console.error('[server] (further server output is counted, not shown)');
    }
  });
}

async function startServer(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: ROOT,
    env: childEnv({
      PORT: String(port),
      HOST: '127.0.0.1',
      SAMPLE_DATA: 'auto',
      RATE_LIMIT_PER_MINUTE: '100000000',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  watchServerOutput(child.stdout);
  watchServerOutput(child.stderr);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && !interrupted) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited before it was ready (${child.signalCode ?? `exit code ${child.exitCode}`})`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/ready`);
      if (res.status === 200) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(interrupted ? 'interrupted' : 'the server was not ready after 120 s');
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    console.error('the server did not stop within 15 s of SIGTERM: killing it');
    child.kill('SIGKILL');
  }, 15_000);
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  if (code !== 0) console.error(`the server exited with ${signal ?? `exit code ${code}`} after SIGTERM`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** CPU time (user + system) a process has used, in seconds, from /proc/<pid>/stat (100 ticks a second). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process, in MB, from /proc/<pid>/status. */
function memoryMb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return Number.NaN; // the process has exited
  }
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

// ---------------------------------------------------------------------------------------------
// The workload

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message?: string; extensions?: { code?: string } }[];
}

async function graphql(url: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLBody> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as GraphQLBody;
  if (!res.ok || body.errors?.length) throw new Error(`${res.status}: ${JSON.stringify(body.errors ?? body)}`);
  return body;
}

async function paperCount(url: string): Promise<number> {
  const body = await graphql(url, '{ papers(first: 1) { totalCount } }');
  return (body.data?.papers as { totalCount: number } | undefined)?.totalCount ?? Number.NaN;
}

const PAPERS_QUERY =
  'query Papers { papers(first: 20) { nodes { id title publishedAt upvotes topics { slug name } } } }';
const TOPICS_QUERY =
  'query Topics { topics(rootsOnly: true) { children { slug papers(first: 5) { nodes { title authors { name } } } } } }';
const PAPER_QUERY = 'query Paper($id: ID!) { paper(id: $id) { id title abstract upvotes topics { slug } } }';
const UPVOTE =
  'mutation Upvote($id: ID!) { upvotePaper(input: { id: $id }) { __typename ... on UpvotePaperPayload { changed paper { upvotes } } ... on Error { message } } }';
const REMOVE_UPVOTE =
  'mutation RemoveUpvote($id: ID!) { removeUpvote(input: { id: $id }) { __typename ... on RemoveUpvotePayload { changed paper { upvotes } } ... on Error { message } } }';
const CREATE_PAPER =
  'mutation CreatePaper($input: CreatePaperInput!) { createPaper(input: $input) { __typename ... on CreatePaperPayload { paper { id topics { slug } } } ... on Error { message } } }';

type Kind = 'papers' | 'topics' | 'paper' | 'upvote' | 'removeUpvote' | 'createPaper';
/** The mix, in percent: 70 reads, 30 writes. */
const MIX: [Exclude<Kind, 'removeUpvote'>, number][] = [
  ['papers', 25],
  ['topics', 20],
  ['paper', 25],
  ['upvote', 20], // upvotePaper or removeUpvote, alternating per paper
  ['createPaper', 10],
];
/** The mutation field of each write, and the payload type that means success. */
const EXPECTED: Partial<Record<Kind, [string, string]>> = {
  upvote: ['upvotePaper', 'UpvotePaperPayload'],
  removeUpvote: ['removeUpvote', 'RemoveUpvotePayload'],
  createPaper: ['createPaper', 'CreatePaperPayload'],
};

interface Stats {
  responses: number;
  /** Latencies in ms by kind of request, measured from building the request to reading the response. */
  byKind: Map<Kind, number[]>;
  non2xx: number;
  graphqlErrors: number;
  failedPayloads: number;
  badBodies: number;
  createdPapers: number;
  /** createPaper requests sent; those without an answer were cut off when the run stopped. */
  createsSent: number;
  createsAnswered: number;
  /** The first distinct problems, with how often each occurred. */
  problems: Map<string, number>;
}
function newStats(): Stats {
  return {
    responses: 0,
    byKind: new Map(),
    non2xx: 0,
    graphqlErrors: 0,
    failedPayloads: 0,
    badBodies: 0,
    createdPapers: 0,
    createsSent: 0,
    createsAnswered: 0,
    problems: new Map(),
  };
}
let stats = newStats();
function problem(kind: Kind, text: string) {
  const key = `${kind}: ${text.slice(0, 200)}`;
  if (stats.problems.has(key) || stats.problems.size < 10) stats.problems.set(key, (stats.problems.get(key) ?? 0) + 1);
}

function checkResponse(kind: Kind, ms: number, status: number, text: string) {
  stats.responses++;
  if (kind === 'createPaper') stats.createsAnswered++;
  const latencies = stats.byKind.get(kind) ?? [];
  latencies.push(ms);
  stats.byKind.set(kind, latencies);
  let body: GraphQLBody | undefined;
  try {
    body = JSON.parse(text) as GraphQLBody;
  } catch {
    body = undefined;
  }
  if (status < 200 || status > 299) {
    stats.non2xx++;
    problem(kind, `HTTP ${status} ${body?.errors?.[0]?.message ?? text.slice(0, 100)}`);
    return;
  }
  if (!body) {
    stats.badBodies++;
    problem(kind, `not JSON: ${text.slice(0, 100)}`);
    return;
  }
  if (body.errors?.length || !body.data) {
    stats.graphqlErrors++;
    const e = body.errors?.[0];
    problem(kind, `GraphQL error ${e?.extensions?.code ?? ''} ${e?.message ?? 'no data'}`);
    return;
  }
  const expected = EXPECTED[kind];
  if (expected) {
    const result = body.data[expected[0]] as { __typename?: string; message?: string } | null | undefined;
    if (result?.__typename !== expected[1]) {
      stats.failedPayloads++;
      problem(kind, `${result?.__typename ?? 'null'} ${result?.message ?? ''}`);
    } else if (kind === 'createPaper') stats.createdPapers++;
  }
}

function makeRequest(paperIds: string[], key: string): autocannon.Request {
  const upvoted = new Set<string>();
  let created = 0;
  const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
  const choose = (): Exclude<Kind, 'removeUpvote'> => {
    let r = Math.random() * 100;
    for (const [kind, weight] of MIX) {
      r -= weight;
      if (r < 0) return kind;
    }
    return 'papers';
  };
  const operation = (kind: Kind): { query: string; variables?: Record<string, unknown> } => {
    switch (kind) {
      case 'papers':
        return { query: PAPERS_QUERY };
      case 'topics':
        return { query: TOPICS_QUERY };
      case 'paper':
        return { query: PAPER_QUERY, variables: { id: pick(paperIds) } };
      case 'upvote':
      case 'removeUpvote':
        throw new Error('unreachable');
      case 'createPaper': {
        created++;
        const n = `${process.pid}-${created}`;
        return {
          query: CREATE_PAPER,
          variables: {
            input: {
              title: `Load check paper ${n}: scaling sparse mixture of experts for long-context retrieval`,
              abstract: `A synthetic paper (${n}) written by the load check. We study instruction tuning, reinforcement learning from human feedback and retrieval-augmented generation for large language models.`,
              authors: ['Ada Load', 'Bob Check'],
              publishedAt: '2026-01-08',
            },
          },
        };
      }
    }
  };
  return {
    method: 'POST',
    path: '/graphql',
    setupRequest: (request, context) => {
      let kind: Kind = choose();
      let op: { query: string; variables?: Record<string, unknown> };
      if (kind === 'upvote') {
        // Alternate per paper: upvote it, then remove the upvote the next time it is picked.
        const id = pick(paperIds);
        if (upvoted.delete(id)) kind = 'removeUpvote';
        else upvoted.add(id);
        op = { query: kind === 'upvote' ? UPVOTE : REMOVE_UPVOTE, variables: { id } };
      } else op = operation(kind);
      if (kind === 'createPaper') stats.createsSent++;
      Object.assign(context, { kind, sentAt: performance.now() });
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      if (EXPECTED[kind]) headers.authorization = `Bearer ${key}`;
      return { ...request, headers, body: JSON.stringify(op) };
    },
    onResponse: (status, body, context) => {
      const { kind, sentAt } = context as { kind?: Kind; sentAt?: number };
      checkResponse(kind ?? 'papers', performance.now() - (sentAt ?? Number.NaN), status, body);
    },
  };
}

/**
 * When a run stops, autocannon drops its connections but the server still finishes the requests
 * that were in flight: wait for them before counting papers or stopping the server.
 */
async function drain(result: autocannon.Result) {
  await new Promise((resolve) => setTimeout(resolve, Math.min(result.latency.max + 1000, 15_000)));
}

function load(url: string, seconds: number, request: autocannon.Request): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    running = autocannon(
      { url, connections: CONNECTIONS, pipelining: 1, duration: seconds, requests: [request] },
      (error: unknown, result: autocannon.Result) => {
        running = undefined;
        if (error) reject(error);
        else resolve(result);
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// The run

const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
let failed = false;
try {
  await admin.query(`create database ${DB_NAME}`);
  console.log(`database ${DB_NAME} created`);
  if (existsSync(DATA_FILE)) {
    console.log(
      `importing ${path.relative(process.cwd(), DATA_FILE)} first (so the sample is not loaded: the database is not empty)…`,
    );
    process.stdout.write(await papergraph(['import', DATA_FILE]));
  } else {
    console.log(
      `${path.relative(process.cwd(), DATA_FILE)} not found: no import, the server loads the 47 sample papers`,
    );
  }
  // A fresh import leaves the planner without statistics until autovacuum gets round to it
  // (up to a minute later), and plans change mid-run when it does: measure the steady state.
  const fresh = new pg.Client({ connectionString: DB_URL });
  await fresh.connect();
  await fresh.query('analyze').finally(() => fresh.end());
  const key =
    (await papergraph(['keys', 'create', '--scope', 'write', '--name', 'load'])).trim().split('\n').pop() ?? '';
  if (!key.startsWith('pg_')) throw new Error('keys create printed no key');
  const port = await freePort();
  const started = performance.now();
  server = await startServer(port);
  console.log(
    `server ready on port ${port} (pid ${server.pid}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const url = `http://127.0.0.1:${port}/graphql`;

  const first = await graphql(url, '{ papers(first: 100) { totalCount nodes { id } } }');
  const papers = first.data?.papers as { totalCount: number; nodes: { id: string }[] };
  const paperIds = papers.nodes.map((p) => p.id);
  if (paperIds.length === 0) throw new Error('the database has no papers');
  console.log(`${papers.totalCount} papers; ${paperIds.length} ids for paper(id:) and upvotes`);

  const request = makeRequest(paperIds, key);
  console.log(`warm-up: ${WARMUP_SECONDS} s, ${CONNECTIONS} connections (not counted)…`);
  const warmup = await load(url, WARMUP_SECONDS, request);
  const warmupErrors =
    stats.non2xx + stats.graphqlErrors + stats.failedPayloads + stats.badBodies + warmup.errors + warmup.timeouts;
  if (interrupted) throw new Error('interrupted');
  await drain(warmup);
  const rssStart = memoryMb(server.pid, 'VmRSS');
  const countBefore = await paperCount(url);

  stats = newStats();
  console.log(`measured run: ${SECONDS} s, ${CONNECTIONS} connections…`);
  const pid = server.pid;
  const loadBefore = os.loadavg()[0] ?? Number.NaN;
  const cpuBefore = cpuSeconds(pid);
  const rssSeries: number[] = [];
  const sampler = setInterval(() => rssSeries.push(memoryMb(pid, 'VmRSS')), 1000);
  const result = await load(url, SECONDS, request);
  clearInterval(sampler);
  const cpuPercent = (100 * (cpuSeconds(pid) - cpuBefore)) / result.duration;
  const loadAfter = os.loadavg()[0] ?? Number.NaN;
  const rssEnd = memoryMb(server.pid, 'VmRSS');
  const rssPeak = memoryMb(server.pid, 'VmHWM');
  const logLinesDuringRun = serverLog.lines;
  if (interrupted) throw new Error('interrupted');
  await drain(result);
  const countAfter = await paperCount(url);

  const errors =
    stats.non2xx + stats.graphqlErrors + stats.failedPayloads + stats.badBodies + result.errors + result.timeouts;
  const rows: [string, string][] = [
    ['requests/s', (result.requests.total / result.duration).toFixed(0)],
    ['requests', String(result.requests.total)],
    ['p50 latency (ms)', String(result.latency.p50)],
    ['p99 latency (ms)', String(result.latency.p99)],
    ['max latency (ms)', String(result.latency.max)],
    ['errors', String(errors)],
    ['  non-2xx', String(stats.non2xx)],
    ['  GraphQL errors', String(stats.graphqlErrors)],
    ['  failed mutation payloads', String(stats.failedPayloads)],
    ['  not JSON', String(stats.badBodies)],
    ['  connection errors / timeouts', `${result.errors} / ${result.timeouts}`],
    ['RSS start, after warm-up (MB)', rssStart.toFixed(1)],
    ['RSS end (MB)', rssEnd.toFixed(1)],
    ['RSS peak, whole life (MB)', rssPeak.toFixed(1)],
    ['server CPU (% of one core)', cpuPercent.toFixed(0)],
    ['server log lines (warn+)', String(logLinesDuringRun)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('');
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v.padStart(10)}`);
  console.log('');
  const every = Math.max(1, Math.round(rssSeries.length / 10));
  const series = rssSeries.filter((_, i) => i % every === 0 || i === rssSeries.length - 1).map((mb) => mb.toFixed(0));
  console.log(`RSS during the run, MB, every ${every} s: ${series.join(' ')}`);
  console.log(
    `machine: ${os.cpus().length} CPUs, load average ${loadBefore.toFixed(1)} at the start of the run, ${loadAfter.toFixed(1)} at the end (other work on the machine skews the figures)`,
  );
  console.log('');
  console.log('request          share  count  p50 ms  p99 ms  max ms');
  for (const [kind, latencies] of [...stats.byKind].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = latencies.sort((a, b) => a - b);
    const cells = [percentile(sorted, 50), percentile(sorted, 99), sorted.at(-1) ?? Number.NaN].map((ms) =>
      ms.toFixed(0).padStart(6),
    );
    const share = `${((100 * sorted.length) / Math.max(stats.responses, 1)).toFixed(0)}%`;
    console.log(`${kind.padEnd(15)}  ${share.padStart(5)}  ${String(sorted.length).padStart(5)}  ${cells.join('  ')}`);
  }
  console.log('');
  // Requests cut off when the run stopped may have created papers without our seeing the answer.
  const added = countAfter - countBefore;
  const cut = stats.createsSent - stats.createsAnswered;
  const consistent = added >= stats.createdPapers && added <= stats.createdPapers + cut;
  console.log(
    `papers: ${countBefore} before the measured run, ${countAfter} after (+${added}); createPaper succeeded ${stats.createdPapers} times, ${cut} cut off at the end` +
      (consistent ? '' : ' (MISMATCH)'),
  );
  if (!consistent) failed = true;
  if (warmupErrors > 0) console.log(`warm-up: ${warmupErrors} errors (not counted)`);
  for (const [text, n] of stats.problems) console.log(`  ${n}× ${text}`);
  console.log(`command: ${COMMAND} (${SECONDS} s, ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up)`);
  if (errors > 0) failed = true;
} catch (error) {
  failed = true;
  console.error(`load check failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  if (server) {
    const before = serverLog.lines;
    await stopServer(server);
    if (serverLog.lines > before)
      console.log(`the server logged ${serverLog.lines - before} lines (warn+) while stopping`);
  }
  for (const child of children) child.kill('SIGTERM');
  try {
    await admin.query(`drop database if exists ${DB_NAME} with (force)`);
    console.log(`database ${DB_NAME} dropped`);
  } catch (error) {
    failed = true;
    console.error(`could not drop database ${DB_NAME}: ${(error as Error).message}`);
  }
  await admin.end();
}
process.exit(failed ? 1 : 0);
