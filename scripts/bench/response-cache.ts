// The response cache on a realistic mix: reads of papers whose ids follow a Zipf distribution
// over the 100,000 papers of the benchmark set (a few papers are read very often, most rarely),
// and 5% writes (upvotes, each with one of many API keys, so that each changes the count). For
// no cache, the in-process cache and Redis: requests/s, p50 and p99 latency, the cache's hit
// rate, and staleness: reads that started after a write to their paper had been answered and
// still returned the older count, and how long after the write the latest of them started.
//
// The server runs in this process on a copy of the benchmark database (created from
// papergraph_bench_100000 as a template and dropped at the end: the set itself is never
// written); the load comes from a worker thread, on the other core.
//   npm run bench:response-cache [-- --duration 20 --connections 16 --zipf 1.0 --modes off,memory,redis --prime 20]
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Cache } from '@graphql-yoga/plugin-response-cache';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { createApiKey } from '../../src/auth.ts';
import { createDb } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createHttpHandler } from '../../src/http-handler.ts';
import { createMemoryCache, createRedisCache } from '../../src/plugins/response-cache.ts';
import { encodeGlobalId } from '../../src/schema/global-id.ts';
import { createApp } from '../../src/yoga.ts';

const TEMPLATE = 'papergraph_bench_100000';
const COPY = 'papergraph_cache_bench';
const ADMIN_URL = process.env.ADMIN_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const urlOf = (name: string) => Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).href;

const READ = 'query Paper($id: ID!) { paper(id: $id) { id title upvotes topics { slug } } }';
const WRITE =
  'mutation Up($id: ID!) { upvotePaper(input: { id: $id }) { ... on UpvotePaperPayload { changed paper { upvotes } } } }';

interface Load {
  url: string;
  ids: string[];
  keys: string[];
  durationMs: number;
  warmupMs: number;
  connections: number;
  zipf: number;
  writeShare: number;
}

interface LoadResult {
  reads: number;
  writes: number;
  seconds: number;
  latenciesMs: number[];
  staleReads: number;
  /** How long after a write's answer the latest read that still saw the older count started. */
  maxStalenessMs: number;
  errors: number;
}

/** Ranks 0..n-1 with probability ∝ 1/(rank+1)^s, by binary search in the cumulative weights. */
function zipfSampler(n: number, s: number, random: () => number) {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += 1 / (i + 1) ** s;
    cumulative[i] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((cumulative[mid] ?? 0) < target) low = mid + 1;
      else high = mid;
    }
    return low;
  };
}

/** A seeded generator (mulberry32): every mode gets the same sequence of operations. */
function seeded(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function drive(load: Load): Promise<LoadResult> {
  const random = seeded(42);
  const rank = zipfSampler(load.ids.length, load.zipf, random);
  // Popular papers spread over the id range, not the lowest ids.
  const order = load.ids.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
  }
  const paperAt = (r: number) => load.ids[order[r] ?? 0] ?? '';
  const voted = new Set<string>();
  const lastWrite = new Map<string, { value: number; at: number }>();
  const result: LoadResult = {
    reads: 0,
    writes: 0,
    seconds: 0,
    latenciesMs: [],
    staleReads: 0,
    maxStalenessMs: 0,
    errors: 0,
  };
  const started = performance.now();
  const measureFrom = started + load.warmupMs;
  const end = measureFrom + load.durationMs;
  const post = async (body: object, key?: string) => {
    const response = await fetch(load.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
      body: JSON.stringify(body),
    });
    return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  };
  const connection = async () => {
    while (performance.now() < end) {
      const id = paperAt(rank());
      const t0 = performance.now();
      const measured = t0 >= measureFrom;
      if (random() < load.writeShare) {
        // A key that has not voted for this paper yet: every write changes the count.
        let key = '';
        for (let tries = 0; tries < 20 && !key; tries++) {
          const candidate = load.keys[Math.floor(random() * load.keys.length)] ?? '';
          if (!voted.has(`${candidate} ${id}`)) key = candidate;
        }
        if (!key) continue;
        voted.add(`${key} ${id}`);
        const answer = await post({ query: WRITE, variables: { id } }, key);
        const payload = answer.data?.upvotePaper as { changed?: boolean; paper?: { upvotes: number } } | undefined;
        const at = performance.now();
        if (!payload?.paper) result.errors++;
        else {
          const previous = lastWrite.get(id);
          if (!previous || payload.paper.upvotes > previous.value)
            lastWrite.set(id, { value: payload.paper.upvotes, at });
        }
        if (measured) {
          result.writes++;
          result.latenciesMs.push(at - t0);
        }
      } else {
        const written = lastWrite.get(id);
        const answer = await post({ query: READ, variables: { id } });
        const t1 = performance.now();
        const paper = answer.data?.paper as { upvotes: number } | undefined;
        if (!paper) result.errors++;
        // The write had been answered before this read was sent, and the read saw less.
        else if (written && written.at <= t0 && paper.upvotes < written.value) {
          result.staleReads++;
          result.maxStalenessMs = Math.max(result.maxStalenessMs, t0 - written.at);
        }
        if (measured) {
          result.reads++;
          result.latenciesMs.push(t1 - t0);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: load.connections }, connection));
  result.seconds = load.durationMs / 1000;
  return result;
}

if (!isMainThread) {
  parentPort?.postMessage(await drive(workerData as Load));
} else {
  const { values: args } = parseArgs({
    options: {
      duration: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      connections: { type: 'string', default: '16' },
      zipf: { type: 'string', default: '1.0' },
      modes: { type: 'string', default: 'off,memory,redis' },
      prime: { type: 'string', default: '20' },
    },
  });
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  };
  const exists = await admin(`select 1 from pg_database where datname = '${TEMPLATE}'`);
  if (exists.rowCount !== 1) {
    throw new Error(`${TEMPLATE} is missing: build it with npm run bench -- --papers 100000 (it is reused)`);
  }
  await admin(`drop database if exists ${COPY} with (force)`);
  await admin(`create database ${COPY} template ${TEMPLATE}`);
  const db = await createDb({ databaseUrl: urlOf(COPY), poolSize: 10 });
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await migrateToLatest(db);
    const ids = (await db.selectFrom('papers').select('id').orderBy('id').execute()).map((r) =>
      encodeGlobalId('Paper', r.id),
    );
    const keys: string[] = [];
    for (let i = 0; i < 400; i++) keys.push((await createApiKey(db, `bench ${i}`, ['write'])).key);
    console.log(
      `${ids.length.toLocaleString('en')} papers, Zipf s=${args.zipf}, 5% upvotes (${keys.length} keys), ${args.connections} connections, ${args.warmup} s warm-up + ${args.duration} s\n`,
    );
    console.log('cache    req/s  p50 ms  p99 ms  hit rate  reads  writes  stale reads  max staleness ms  errors');
    // A first, unreported round without a cache: PostgreSQL's buffers and the page cache warm up,
    // so that the first mode measured is not also the one that reads the disk.
    const modes = Number(args.prime) > 0 ? ['prime', ...args.modes.split(',')] : args.modes.split(',');
    for (const mode of modes) {
      const stats = { hits: 0, lookups: 0 };
      let cache: Cache | undefined;
      if (mode === 'memory') cache = createMemoryCache();
      if (mode === 'redis') {
        await redis.connect();
        cache = createRedisCache(redis, { prefix: `papergraph-rc-bench-${randomBytes(4).toString('hex')}:` });
      }
      const counted: Cache | undefined = cache && {
        async get(id) {
          const found = await cache.get(id);
          stats.lookups++;
          if (found) stats.hits++;
          return found;
        },
        set: (...a) => cache.set(...a),
        invalidate: (e) => cache.invalidate(e),
      };
      const app = await createApp({ db, responseCache: counted });
      const http = createHttpHandler(app, {
        logger: pino({ level: 'silent' }),
        maxBodyBytes: 1_048_576,
        requestTimeoutMs: 15_000,
      });
      const server = createServer(http.listener).listen(0, '127.0.0.1');
      await once(server, 'listening');
      const load: Load = {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
        ids,
        keys,
        durationMs: (mode === 'prime' ? Number(args.prime) : Number(args.duration)) * 1000,
        warmupMs: Number(args.warmup) * 1000,
        connections: Number(args.connections),
        zipf: Number(args.zipf),
        writeShare: 0.05,
      };
      // The worker runs this file too, with tsx's loader registered in that thread.
      const worker = new Worker(
        `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`,
        { eval: true, workerData: load },
      );
      const [result] = (await once(worker, 'message')) as [LoadResult];
      await worker.terminate();
      server.closeAllConnections();
      server.close();
      // A miss is looked up twice (before parsing, and again before executing): count requests.
      if (mode === 'prime') continue;
      const sorted = result.latenciesMs.sort((a, b) => a - b);
      const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
      const reads = result.reads;
      const hitRate = cache
        ? `${((100 * stats.hits) / Math.max(1, stats.lookups - (stats.lookups - stats.hits) / 2)).toFixed(1)}%`
        : '-';
      console.log(
        [
          mode.padEnd(6),
          ((reads + result.writes) / result.seconds).toFixed(0).padStart(7),
          pct(50).toFixed(1).padStart(6),
          pct(99).toFixed(1).padStart(6),
          hitRate.padStart(8),
          String(reads).padStart(6),
          String(result.writes).padStart(6),
          String(result.staleReads).padStart(11),
          result.maxStalenessMs.toFixed(1).padStart(16),
          String(result.errors).padStart(6),
        ].join('  '),
      );
      if (mode === 'redis') {
        const leftovers = await redis.keys('papergraph-rc-bench-*');
        if (leftovers.length > 0) await redis.del(...leftovers);
        redis.disconnect();
      }
    }
  } finally {
    redis.disconnect();
    await db.destroy();
    await admin(`drop database if exists ${COPY} with (force)`);
  }
}
