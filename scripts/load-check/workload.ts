// The load check's normal traffic, driven by autocannon: ~70% reads (a paper list, a nested
// topics query, paper by id) and ~30% writes (upvote/removeUpvote, createPaper) with a write
// key. Every answer is checked: non-2xx, GraphQL errors, failed mutation payloads and bodies
// that are not JSON are errors, except a 503 SERVICE_UNAVAILABLE: the server shedding load
// under an overload it was built to refuse (nothing written, try again), counted and shown apart.
import os from 'node:os';
import autocannon from 'autocannon';
import type pg from 'pg';
import { cpuMs, memoryMb, sampleRss } from '../lib/proc-stats.ts';
import type { MixReport } from './mix.ts';
import { type GraphQLBody, percentile } from './tally.ts';

const PAPERS_QUERY =
  'query Papers { papers(first: 20) { nodes { id title publishedAt upvotes topics { slug name } } } }';
// authors(first: 10): with the default of 100 per paper the query is priced over the budget and refused.
const TOPICS_QUERY =
  'query Topics { topics(rootsOnly: true) { children { slug papers(first: 5) { nodes { title authors(first: 10) { name } } } } } }';
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

export interface Stats {
  responses: number;
  /** Latencies in ms by kind of request, measured from building the request to reading the response. */
  byKind: Map<Kind, number[]>;
  non2xx: number;
  /** 503 SERVICE_UNAVAILABLE answers: refused for load, with nothing done (not errors). */
  shed: number;
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
    shed: 0,
    graphqlErrors: 0,
    failedPayloads: 0,
    badBodies: 0,
    createdPapers: 0,
    createsSent: 0,
    createsAnswered: 0,
    problems: new Map(),
  };
}

/** Errors of any kind in the answers (autocannon's connection errors and timeouts are counted apart). */
export function answerErrors(stats: Stats): number {
  return stats.non2xx + stats.graphqlErrors + stats.failedPayloads + stats.badBodies;
}

function checkResponse(stats: Stats, kind: Kind, ms: number, status: number, text: string) {
  const problem = (description: string) => {
    const key = `${kind}: ${description.slice(0, 200)}`;
    if (stats.problems.has(key) || stats.problems.size < 10)
      stats.problems.set(key, (stats.problems.get(key) ?? 0) + 1);
  };
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
  if (status === 503 && body?.errors?.[0]?.extensions?.code === 'SERVICE_UNAVAILABLE') {
    stats.shed++;
    problem(`shed: HTTP 503 ${body.errors[0]?.message ?? ''}`);
    return;
  }
  if (status < 200 || status > 299) {
    stats.non2xx++;
    problem(`HTTP ${status} ${body?.errors?.[0]?.message ?? text.slice(0, 100)}`);
    return;
  }
  if (!body) {
    stats.badBodies++;
    problem(`not JSON: ${text.slice(0, 100)}`);
    return;
  }
  if (body.errors?.length || !body.data) {
    stats.graphqlErrors++;
    const e = body.errors?.[0];
    problem(`GraphQL error ${e?.extensions?.code ?? ''} ${e?.message ?? 'no data'}`);
    return;
  }
  const expected = EXPECTED[kind];
  if (expected) {
    const result = body.data[expected[0]] as { __typename?: string; message?: string } | null | undefined;
    if (result?.__typename !== expected[1]) {
      stats.failedPayloads++;
      problem(`${result?.__typename ?? 'null'} ${result?.message ?? ''}`);
    } else if (kind === 'createPaper') stats.createdPapers++;
  }
}

/** Papers the normal traffic created in this process, over all its runs (their titles must differ). */
let created = 0;

export interface NormalTraffic {
  /** autocannon's request: builds each request from the mix and checks each answer. */
  request: autocannon.Request;
  /** The figures since the last reset. */
  stats(): Stats;
  reset(): void;
}

/** The normal traffic on these papers; writes carry `key` (scope write). */
export function normalTraffic(paperIds: string[], key: string): NormalTraffic {
  let stats = newStats();
  const upvoted = new Set<string>();
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
      case 'removeUpvote': {
        throw new Error('unreachable');
      }
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
  const request: autocannon.Request = {
    method: 'POST',
    path: '/graphql',
    setupRequest: (req, context) => {
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
      return { ...req, headers, body: JSON.stringify(op) };
    },
    onResponse: (status, body, context) => {
      const { kind, sentAt } = context as { kind?: Kind; sentAt?: number };
      checkResponse(stats, kind ?? 'papers', performance.now() - (sentAt ?? Number.NaN), status, body);
    },
  };
  return {
    request,
    stats: () => stats,
    reset: () => {
      stats = newStats();
    },
  };
}

let running: autocannon.Instance | undefined;

/**
 * Drives `url` with `request` from `connections` connections for `seconds`. A request is a
 * timeout (a hang) after 30 s: the server answers every request within its REQUEST_TIMEOUT_MS
 * (15 s by default, then 503), so a slow answer is not taken for a missing one.
 */
export function runLoad(
  url: string,
  seconds: number,
  connections: number,
  request: autocannon.Request,
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    running = autocannon(
      { url, connections, pipelining: 1, duration: seconds, timeout: 30, requests: [request] },
      (error: unknown, result: autocannon.Result) => {
        running = undefined;
        if (error) reject(error);
        else resolve(result);
      },
    );
  });
}

/** Ends the run in progress (Ctrl-C). */
export function stopLoad(): void {
  running?.stop();
}

/**
 * When a run stops, autocannon drops its connections but the server still finishes the requests
 * that were in flight: wait for them before counting papers or stopping the server.
 */
export function drain(result: autocannon.Result): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(result.latency.max + 1000, 15_000)));
}

/** The papers the normal traffic created (its titles start so), counted in SQL: the mixes create others. */
async function normalPapers(sql: pg.Client): Promise<number> {
  return Number(
    (await sql.query(`select count(*)::int as n from papers where title like 'Load check paper %'`)).rows[0]?.n,
  );
}

/**
 * Measures the server (`pid`) around `run`, which drives the normal traffic (and whatever runs
 * beside it), then waits for the requests in flight and reports the normal traffic's figures.
 */
export async function measureRun(
  options: { pid: number; traffic: NormalTraffic; sql: pg.Client; warmupErrors: number; log: () => string },
  run: () => Promise<autocannon.Result>,
): Promise<MixReport> {
  const { pid, traffic, sql } = options;
  traffic.reset();
  const rssStart = memoryMb(pid);
  const papersBefore = await normalPapers(sql);
  const loadBefore = os.loadavg()[0] ?? Number.NaN;
  const cpuBefore = cpuMs(pid);
  const rss = sampleRss(pid, 1000);
  const result = await run().finally(() => rss.stop());
  const cpuPercent = (100 * (cpuMs(pid) - cpuBefore)) / 1000 / result.duration;
  const measured = {
    result,
    stats: traffic.stats(),
    cpuPercent,
    log: options.log(),
    warmupErrors: options.warmupErrors,
  };
  const rssFigures = { start: rssStart, end: memoryMb(pid), peak: memoryMb(pid, 'VmHWM'), series: rss.series };
  const loadAfter = os.loadavg()[0] ?? Number.NaN;
  await drain(result);
  return normalReport({
    ...measured,
    rss: rssFigures,
    load: { before: loadBefore, after: loadAfter },
    papers: { before: papersBefore, after: await normalPapers(sql) },
  });
}

/** What the load check measured around the normal traffic's run. */
interface Measured {
  result: autocannon.Result;
  stats: Stats;
  rss: { start: number; end: number; peak: number; series: number[] };
  cpuPercent: number;
  /** The server's log lines (warn+) during the run, summed up. */
  log: string;
  load: { before: number; after: number };
  papers: { before: number; after: number };
  warmupErrors: number;
}

/** The normal traffic's figures, as the load check always printed them; any error breaks its promise. */
function normalReport(m: Measured): MixReport {
  const { result, stats } = m;
  const errors = answerErrors(stats) + result.errors + result.timeouts;
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
    ['refused for load (503, nothing done)', String(stats.shed)],
    ['RSS start, after warm-up (MB)', m.rss.start.toFixed(1)],
    ['RSS end (MB)', m.rss.end.toFixed(1)],
    ['RSS peak, whole life (MB)', m.rss.peak.toFixed(1)],
    ['server CPU (% of one core)', m.cpuPercent.toFixed(0)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const every = Math.max(1, Math.round(m.rss.series.length / 10));
  const series = m.rss.series.filter((_, i) => i % every === 0 || i === m.rss.series.length - 1);
  // Requests cut off when the run stopped may have created papers without our seeing the answer.
  const added = m.papers.after - m.papers.before;
  const cut = stats.createsSent - stats.createsAnswered;
  const consistent = added >= stats.createdPapers && added <= stats.createdPapers + cut;
  const lines = [
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v.padStart(10)}`),
    '',
    `RSS during the run, MB, every ${every} s: ${series.map((mb) => mb.toFixed(0)).join(' ')}`,
    `server log during the run (warn+): ${m.log}`,
    `machine: ${os.cpus().length} CPUs, load average ${m.load.before.toFixed(1)} at the start of the run, ${m.load.after.toFixed(1)} at the end (other work on the machine skews the figures)`,
    '',
    ...latencyLines(stats),
    '',
    `papers: ${m.papers.before} before the measured run, ${m.papers.after} after (+${added}); createPaper succeeded ${stats.createdPapers} times, ${cut} cut off at the end${consistent ? '' : ' (MISMATCH)'}`,
    ...(m.warmupErrors > 0 ? [`warm-up: ${m.warmupErrors} errors (not counted)`] : []),
    ...[...stats.problems].map(([text, n]) => `  ${n}× ${text}`),
  ];
  const failures: string[] = [];
  if (errors > 0) {
    const example = [...stats.problems.keys()].find((key) => !key.includes('shed: ')) ?? 'connection errors';
    failures.push(`normal traffic: ${errors} errors, e.g. ${example}`);
  }
  if (!consistent)
    failures.push(`normal traffic: ${added} papers added, but createPaper succeeded ${stats.createdPapers} times`);
  return { lines, failures };
}

/** The normal traffic's figures by kind of request: share, count, p50/p99/max latency. */
function latencyLines(stats: Stats): string[] {
  const lines = ['request          share  count  p50 ms  p99 ms  max ms'];
  for (const [kind, latencies] of [...stats.byKind].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...latencies].sort((a, b) => a - b);
    const cells = [percentile(sorted, 50), percentile(sorted, 99), sorted.at(-1) ?? Number.NaN].map((ms) =>
      ms.toFixed(0).padStart(6),
    );
    const share = `${((100 * sorted.length) / Math.max(stats.responses, 1)).toFixed(0)}%`;
    lines.push(`${kind.padEnd(15)}  ${share.padStart(5)}  ${String(sorted.length).padStart(5)}  ${cells.join('  ')}`);
  }
  return lines;
}
