// The adversarial mix, beside the normal traffic: costly nested queries just within the cost
// limit (50,000 nodes), queries over it (expected: QUERY_TOO_COSTLY), requests with fake keys
// (expected: 401, or 429 once the rate limit refuses them), a graphql-ws client running queries
// and subscriptions (and connections with a fake key: expected close 4403), and searches made of
// punctuation. Meanwhile the server's RSS is read every second and /health timed every 250 ms.
// The promises checked: no crash (the server is alive at the end), no hang (every request
// answered), no internal error, the expected answers, and /health always under 1 s.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startNode } from '../lib/child.ts';
import { sampleRss } from '../lib/proc-stats.ts';
import type { Mix, MixContext, MixReport } from './mix.ts';
import {
  ANSWER_TIMEOUT_MS,
  type Answer,
  type GraphQLBody,
  percentile,
  pick,
  post,
  repeat,
  send,
  sleep,
  Tally,
} from './tally.ts';

/**
 * Every client here comes from 127.0.0.1, so all of them, the normal traffic included, share one
 * rate limit: it is set well above what they send together, and the fake-key client's 429s (if
 * any) are counted apart from its 401s.
 */
const RATE_LIMIT_PER_MINUTE = 100_000;
const HEALTH_EVERY_MS = 250;
const HEALTH_LIMIT_MS = 1000;
/**
 * Times GET /health every 250 ms until stopped, printing "<ms> <status>" per probe. It runs in a
 * process of its own, so that the load check's busy event loop does not add to the times.
 */
const HEALTH_PROBE = `
const [url, every] = [process.argv[1], Number(process.argv[2])];
const probe = async () => {
  const started = performance.now();
  let status = 'none';
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(${30_000}) });
    await res.text();
    status = String(res.status);
  } catch (error) {
    status = error.name;
  }
  const ms = performance.now() - started;
  console.log(ms.toFixed(1) + ' ' + status);
  setTimeout(probe, Math.max(0, every - ms));
};
probe();
process.on('SIGTERM', () => process.exit(0));
`;

const COSTLY = `query Costly($first: Int!, $more: Int!) {
  topics { slug papers(first: $first) { nodes { id title topics { slug } } } }
  more: topics { slug papers(first: $more) { nodes { id title topics { slug } } } } }`;
const OVER_LIMIT = [
  'query Over { topics { papers(first: 100) { nodes { topics { papers(first: 100) { nodes { id } } } } } } }',
  'query OverSearch { search(query: "language model", first: 100) { nodes { topics { papers(first: 100) { nodes { title authors { name } } } } } } }',
  `query OverAliases { ${Array.from({ length: 20 }, (_, i) => `a${i}: topics { papers(first: 100) { nodes { topics { slug } } } }`).join(' ')} }`,
];
const SEARCH = 'query Search($q: String!) { search(query: $q, first: 10) { mode nodes { id title } } }';
const PUNCTUATION = [
  '&|!():*',
  '"',
  '""',
  '"unterminated',
  '-',
  '--',
  '- - -',
  '!',
  '!!!',
  '\\',
  "'",
  "' or 1=1 --",
  ':*',
  '*:*',
  '<->',
  '<1>',
  '(((',
  ')))',
  '|||',
  '&&&',
  '%_%',
  '$1',
  ';',
  'or',
  'OR OR OR',
  '-"" -""',
  '\u00a0',
  '🙂',
  'a & b | !c',
  '"knowledge distillation" -survey or',
  '&|!():*'.repeat(60),
  'x\u0000y',
];
const FAKE_QUERY = 'query Fake { papers(first: 5) { nodes { id } } }';
const FAKE_MUTATION =
  'mutation Fake($id: ID!) { upvotePaper(input: { id: $id }) { __typename ... on Error { message } } }';
const WS_QUERIES = [
  'query WsPapers { papers(first: 20) { nodes { id title topics { slug } } } }',
  'query WsTopics { topics(rootsOnly: true) { slug children { slug paperCount } } }',
  'query WsSearch { search(query: "&|!():*", first: 5) { nodes { id } } }',
];

/** A fake `Authorization` value: a well-formed key nobody was given, or junk. */
function fakeAuthorization(): string {
  return pick([
    () => `Bearer pg_${randomBytes(32).toString('base64url')}`,
    () => `Bearer ${randomBytes(1 + Math.floor(Math.random() * 90)).toString('base64url')}`,
    () => `Bearer pg_${'A'.repeat(43)}`,
    () => 'Bearer',
    () => `Basic ${randomBytes(12).toString('base64')}`,
  ])();
}

interface Costly {
  variables: { first: number; more: number };
  /** Its cost, and the limit. */
  nodes: number;
  max: number;
}

/** The cost the server computes for the costly query with these variables (running it when within the limit). */
async function costOf(url: string, variables: Costly['variables']): Promise<Costly> {
  const answer = await post(url, COSTLY, variables);
  const body = answer.body as { extensions?: { cost?: { requestedNodes?: number; maxNodes?: number } } } | undefined;
  const cost = answer.body?.errors?.[0]?.extensions?.cost ?? body?.extensions?.cost;
  const max = (cost as { maxNodes?: number } | undefined)?.maxNodes ?? 50_000;
  return { variables, nodes: cost?.requestedNodes ?? Number.NaN, max };
}

/**
 * The costly query as near the cost limit as its variables allow: 100 papers under every
 * topic, and again as many as fit (each paper more under every topic adds the same cost).
 */
async function tuneCostly(url: string): Promise<Costly> {
  let one = await costOf(url, { first: 100, more: 1 });
  // Too costly already (a larger taxonomy): fewer papers per topic.
  while (one.nodes > one.max && one.variables.first > 1) {
    one = await costOf(url, { first: Math.floor((one.variables.first * one.max) / one.nodes), more: 1 });
  }
  const two = await costOf(url, { ...one.variables, more: 2 });
  const step = two.nodes - one.nodes;
  let tuned = two.nodes <= two.max ? two : one;
  if (step > 0) {
    for (let more = Math.min(100, 1 + Math.floor((one.max - one.nodes) / step)); more > 2; more--) {
      const candidate = await costOf(url, { ...one.variables, more });
      if (candidate.nodes <= candidate.max) {
        tuned = candidate;
        break;
      }
    }
  }
  if (!(tuned.nodes <= tuned.max)) {
    throw new Error(`adversarial mix: cannot fit the costly query within the limit (${JSON.stringify([one, two])})`);
  }
  return tuned;
}

/** One operation over WebSocket: its answer as an Answer (status 200 for data, 0 for a socket error). */
function wsOperation(client: ReturnType<typeof createClient>, query: string): Promise<Answer> {
  const sentAt = performance.now();
  return new Promise<Answer>((resolve, reject) => {
    let result: Answer | undefined;
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s`));
    }, ANSWER_TIMEOUT_MS);
    const done = (answer: Answer) => {
      clearTimeout(timer);
      resolve(result ?? answer);
    };
    const unsubscribe = client.subscribe(
      { query },
      {
        next: (value) => {
          result = { status: 200, body: value as GraphQLBody, ms: performance.now() - sentAt };
        },
        error: (error: unknown) => {
          // graphql-ws gives the operation's errors as an array, a closed socket as its close event.
          const code = (error as { code?: unknown } | null)?.code;
          const body: GraphQLBody = Array.isArray(error)
            ? { errors: error as GraphQLBody['errors'] }
            : typeof code === 'number'
              ? { errors: [{ message: `closed ${code}`, extensions: { code: `close ${code}` } }] }
              : { errors: [{ message: String(error), extensions: { code: 'socket error' } }] };
          done({ status: 200, body, ms: performance.now() - sentAt });
        },
        complete: () => done({ status: 200, body: undefined, ms: performance.now() - sentAt }),
      },
    );
  });
}

export const adversarialMix: Mix = {
  description: 'costly and over-limit queries, fake keys, WebSocket operations, punctuation searches',
  serverEnv: { RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT_PER_MINUTE) },
  async prepare(ctx: MixContext) {
    const { url, origin } = ctx.server;
    const wsUrl = `${url.replace(/^http/, 'ws')}`;
    const costly = await tuneCostly(url);
    const tally = new Tally();
    const health: number[] = [];
    const healthBad = new Map<string, number>();
    const events = new Map<string, number>();
    let rss: ReturnType<typeof sampleRss> | undefined;

    const costlyLoop = (until: number) =>
      repeat(until, ctx.signal, async () => {
        await send(tally, 'costly (within)', ['data', 'RESPONSE_TOO_LARGE'], () => post(url, COSTLY, costly.variables));
      });
    const overLoop = (until: number) =>
      repeat(until, ctx.signal, async () => {
        await send(tally, 'over the limit', ['QUERY_TOO_COSTLY'], () => post(url, pick(OVER_LIMIT)));
      });
    const fakeKeyLoop = (until: number) =>
      repeat(until, ctx.signal, async () => {
        const mutation = Math.random() < 0.5;
        await send(tally, 'fake key', ['HTTP 401 UNAUTHENTICATED', 'HTTP 429 RATE_LIMITED'], () =>
          post(url, mutation ? FAKE_MUTATION : FAKE_QUERY, mutation ? { id: pick(ctx.paperIds) } : {}, {
            authorization: fakeAuthorization(),
          }),
        );
      });
    const searchLoop = (until: number) =>
      repeat(until, ctx.signal, async () => {
        const q = pick(PUNCTUATION);
        // Now and then as a literal in the document (JSON's string escapes are GraphQL's).
        const literal = Math.random() < 0.2;
        await send(tally, 'punctuation search', ['data', 'BAD_USER_INPUT', 'HTTP 400 BAD_USER_INPUT'], () =>
          literal
            ? post(url, `{ search(query: ${JSON.stringify(q)}, first: 10) { mode nodes { id } } }`)
            : post(url, SEARCH, { q }),
        );
      });
    /** Times /health until `until` into `times` (ms), counting answers other than 200 in healthBad. */
    const healthProbe = async (until: number, times: number[]) => {
      const child = startNode(['-e', HEALTH_PROBE, `${origin}/health`, String(HEALTH_EVERY_MS)], (line) => {
        const [ms, status] = line.split(' ');
        times.push(Number(ms));
        const what = /^\d+$/.test(status ?? '') ? `HTTP ${status}` : `no answer (${status})`;
        if (status !== '200') healthBad.set(what, (healthBad.get(what) ?? 0) + 1);
      });
      await sleep(Math.max(0, until - performance.now()));
      const closed = once(child, 'close'); // its output read to the end
      child.kill('SIGTERM');
      await closed;
    };
    // /health on this machine with the server idle, to read the figures under load against.
    const idle: number[] = [];
    await healthProbe(performance.now() + 5000, idle);
    idle.sort((a, b) => a - b);
    const webSocketLoop = async (until: number) => {
      const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
      const subscriptions = [
        ['paperAdded', 'subscription Added { paperAdded { id title } }'],
        ...ctx.paperIds
          .slice(0, 3)
          .map((id) => ['paperUpvoted', `subscription Upvoted { paperUpvoted(id: "${id}") { id upvotes } }`]),
      ] as const;
      const stops = subscriptions.map(([name, query]) =>
        client.subscribe(
          { query },
          {
            next: (value) => {
              const kind = value.errors ? `ws ${name} error` : `ws ${name} event`;
              events.set(kind, (events.get(kind) ?? 0) + 1);
              if (value.errors)
                tally.fail(`ws subscription ${name}: error`, JSON.stringify(value.errors).slice(0, 300));
            },
            error: (error) => tally.fail(`ws subscription ${name}: ended`, JSON.stringify(error).slice(0, 300)),
            complete: () => {
              if (performance.now() < until) tally.fail(`ws subscription ${name}: completed early`, '');
            },
          },
        ),
      );
      await repeat(until, ctx.signal, async () => {
        const over = Math.random() < 0.2;
        const query = over ? (OVER_LIMIT[0] as string) : pick(WS_QUERIES);
        await send(tally, over ? 'ws over the limit' : 'ws query', over ? ['QUERY_TOO_COSTLY'] : ['data'], () =>
          wsOperation(client, query),
        );
      });
      for (const stop of stops) stop();
      await client.dispose();
    };
    const fakeSocketLoop = (until: number) =>
      repeat(until, ctx.signal, async () => {
        const client = createClient({
          url: wsUrl,
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          connectionParams: { authorization: fakeAuthorization() },
        });
        await send(tally, 'ws fake key', ['close 4403', 'close 4400'], () =>
          wsOperation(client, WS_QUERIES[0] as string),
        );
        await client.dispose();
        await sleep(500);
      });

    return {
      async run(seconds: number) {
        const until = performance.now() + seconds * 1000;
        rss = sampleRss(ctx.server.pid, 1000);
        try {
          await Promise.all([
            costlyLoop(until),
            costlyLoop(until),
            overLoop(until),
            fakeKeyLoop(until),
            fakeKeyLoop(until),
            searchLoop(until),
            healthProbe(until, health),
            webSocketLoop(until),
            fakeSocketLoop(until),
          ]);
        } finally {
          rss.stop();
        }
      },
      async finish(): Promise<MixReport> {
        const failures = tally.brokenPromises();
        const alive = ctx.server.alive();
        if (!alive)
          failures.unshift(
            `the server crashed (${ctx.server.child.signalCode ?? `exit code ${ctx.server.child.exitCode}`})`,
          );
        const sorted = [...health].sort((a, b) => a - b);
        const p100 = sorted.at(-1) ?? Number.NaN;
        if (!(p100 < HEALTH_LIMIT_MS))
          failures.push(
            `/health took ${p100.toFixed(0)} ms at worst (limit ${HEALTH_LIMIT_MS} ms; ${idle.at(-1)?.toFixed(0)} ms at worst with the server idle)`,
          );
        if (healthBad.size > 0)
          failures.push(`/health failed: ${[...healthBad].map(([w, n]) => `${n}× ${w}`).join(', ')}`);
        const series = rss?.series ?? [];
        const every = Math.max(1, Math.round(series.length / 15));
        const fake = tally.outcomes.get('fake key');
        const lines = [
          `rate limit: RATE_LIMIT_PER_MINUTE=${RATE_LIMIT_PER_MINUTE}: every client is 127.0.0.1, so all share one limit, set above what they send together; the fake-key client's 429s are counted apart: ${fake?.get('HTTP 429 RATE_LIMITED') ?? 0} × 429, ${fake?.get('HTTP 401 UNAUTHENTICATED') ?? 0} × 401`,
          `costly query within the limit: papers(first: ${costly.variables.first}) under every topic, and again papers(first: ${costly.variables.more}), ${costly.nodes} of ${costly.max} nodes`,
          `server: ${alive ? 'alive' : 'NOT RUNNING'} at the end; requests ${tally.requests()}, internal errors ${tally.internal}, unanswered ${tally.unanswered}, unexpected ${tally.unexpected}, longest ${tally.maxMs().toFixed(0)} ms`,
          `RSS max ${(rss?.max() ?? Number.NaN).toFixed(0)} MB; every ${every} s: ${series
            .filter((_, i) => i % every === 0 || i === series.length - 1)
            .map((mb) => mb.toFixed(0))
            .join(' ')}`,
          `/health every ${HEALTH_EVERY_MS} ms: ${health.length} probes, p50 ${percentile(sorted, 50).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms, p100 ${p100.toFixed(0)} ms (before the run, the server idle: p50 ${percentile(idle, 50).toFixed(0)} ms, p100 ${idle.at(-1)?.toFixed(0)} ms)`,
          `WebSocket subscription events: ${[...events].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
          ...tally.lines(),
          ...tally.failureLines(),
        ];
        return { lines, failures };
      },
    };
  },
};
