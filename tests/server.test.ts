import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/auth.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { type RunningServer, startServer } from '../src/server.ts';
import { preparedDataDir } from './helpers/db.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'papergraph-server-'));
const config: Config = { ...loadConfig({ LOG_LEVEL: 'silent' }), dataDir, port: 0 }; // port 0: any free port
const collapse = (text: string) => text.replace(/[\s\u00a0]+/g, ' ');
let running: RunningServer | undefined;

afterAll(async () => {
  await running?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function post(url: string, query: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data: { papers: { totalCount: number; nodes: { title: string }[] } } };
}

// The embedded path a new user takes: `npm start` on PGlite in DATA_DIR, sample loaded once.
describe('the server on the embedded database', () => {
  // A first start runs PGlite's first-time setup (initdb): seconds of CPU.
  it('loads the sample on first start, serves it, and reuses it on the next start', { timeout: 150_000 }, async () => {
    running = await startServer(config);
    const first = await post(running.url, '{ papers(first: 1) { totalCount nodes { title } } }');
    expect(first.data.papers.totalCount).toBe(47);
    await running.close();

    running = await startServer(config);
    const second = await post(running.url, '{ papers(first: 1) { totalCount nodes { title } } }');
    expect(second.data.papers.totalCount).toBe(47);
  });

  it('refuses a second server on the same data folder, naming the first', async () => {
    await expect(startServer(config)).rejects.toThrow(
      /in use by the papergraph server at http:\/\/localhost:\d+\/graphql/,
    );
  });

  it('on close, lets the requests in flight finish before shutting down', async () => {
    // Another folder: the first server still holds its own.
    const server = await startServer({ ...config, dataDir: await preparedDataDir(path.join(dataDir, 'second')) });
    const query = '{ papers(first: 50) { nodes { title topics { slug papers(first: 10) { nodes { title } } } } } }';
    let arrived = 0;
    const allArrived = new Promise<void>((resolve) => {
      server.server.on('request', () => {
        if (++arrived === 10) resolve();
      });
    });
    const responses = Array.from({ length: 10 }, () =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { data?: { papers: { nodes: unknown[] } } },
      })),
    );
    await allArrived;
    const closed = server.close();
    const results = await Promise.all(responses);
    await closed;
    expect(results.map((r) => [r.status, r.body.data?.papers.nodes.length])).toEqual(Array(10).fill([200, 47]));
    await expect(fetch(server.url, { method: 'POST' })).rejects.toThrow();
  });

  it('redirects / to the GraphQL endpoint', async () => {
    const origin = new URL(running?.url ?? '').origin;
    const response = await fetch(`${origin}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/graphql');
  });

  // Required in CI; elsewhere it needs Debian's chromium (apt-get install chromium).
  const haveChromium = existsSync(CHROMIUM);
  if (!haveChromium && process.env.CI) throw new Error(`CI needs Chromium at ${CHROMIUM} for the GraphiQL test`);
  it.runIf(haveChromium)('GraphiQL opens offline with the example query, runs it and shows paper titles', async () => {
    const url = running?.url ?? '';
    const newest = (await post(url, '{ papers(first: 1) { totalCount nodes { title } } }')).data.papers.nodes[0]?.title;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const offsite: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(new URL(url).origin) && !/^(data|blob):/.test(request.url())) {
          offsite.push(request.url());
        }
      });
      await page.goto(url);
      await page.getByRole('button', { name: /execute query/i }).click({ timeout: 30_000 });
      await expect
        // Monaco renders spaces as no-break spaces and wraps long lines: compare words only.
        .poll(async () => collapse((await page.locator('.graphiql-response').textContent()) ?? ''), {
          timeout: 30_000,
        })
        .toContain(collapse(newest ?? 'no paper'));
      await page.screenshot({ path: path.join(os.tmpdir(), 'papergraph-graphiql.png') });
      expect(offsite).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it.runIf(haveChromium)(
    'GraphiQL is sent compressed once, then revalidated: a repeat visit transfers almost nothing',
    async () => {
      const url = running?.url ?? '';
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      try {
        const page = await browser.newPage();
        // The bytes that crossed the network, per load, as Chromium's network panel counts them,
        // for the page and its files (GET); GraphiQL's own introspection query (a POST) aside.
        const cdp = await page.context().newCDPSession(page);
        await cdp.send('Network.enable');
        const methods = new Map<string, string>();
        let transferred = 0;
        let api = 0;
        cdp.on('Network.requestWillBeSent', (event: { requestId: string; request: { method: string } }) => {
          methods.set(event.requestId, event.request.method);
        });
        cdp.on('Network.loadingFinished', (event: { requestId: string; encodedDataLength: number }) => {
          if (methods.get(event.requestId) === 'GET') transferred += event.encodedDataLength;
          else api += event.encodedDataLength;
        });
        const visit = async (go: () => Promise<unknown>) => {
          transferred = 0;
          api = 0;
          await go();
          await page.getByRole('button', { name: /execute query/i }).waitFor({ timeout: 30_000 });
          // Settled: nothing more arrived for a second and a half.
          let last = -1;
          while (last !== transferred + api) {
            last = transferred + api;
            await new Promise((r) => setTimeout(r, 1500));
          }
          return { page: transferred, api };
        };
        const first = await visit(() => page.goto(url));
        const repeat = await visit(() => page.reload());
        console.log(
          `GraphiQL bytes transferred: first visit ${first.page} (+ ${first.api} of introspection), repeat visit ${repeat.page} (+ ${repeat.api})`,
        );
        // The page's code is 9 MB uncompressed; compressed it is a fraction of that, and on a
        // repeat visit only the page's revalidation (a 304) crosses the network.
        expect(first.page).toBeLessThan(4_000_000);
        expect(repeat.page).toBeLessThan(5_000);
      } finally {
        await browser.close();
      }
    },
  );

  it('revalidates the GraphiQL page: an ETag, and 304 for a browser that has it', async () => {
    const url = running?.url ?? '';
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    await page.text();
    const etag = page.headers.get('etag') ?? '';
    expect({ status: page.status, cacheControl: page.headers.get('cache-control'), tagged: etag !== '' }).toEqual({
      status: 200,
      cacheControl: 'no-cache',
      tagged: true,
    });
    const again = await fetch(url, { headers: { accept: 'text/html', 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it.runIf(haveChromium)(
    'a browser subscribes with EventSource (no CSRF header possible) and gets new papers',
    async () => {
      const url = running?.url ?? '';
      const db = running?.db;
      if (!db) throw new Error('no server');
      const { key } = await createApiKey(db, 'eventsource test', ['write']);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      try {
        const page = await browser.newPage();
        await page.goto(`${new URL(url).origin}/health`);
        await page.evaluate((endpoint) => {
          const query = 'subscription { paperAdded { title } }';
          const source = new EventSource(`${endpoint}?query=${encodeURIComponent(query)}`);
          const received: string[] = [];
          (window as unknown as { received: string[] }).received = received;
          source.addEventListener('next', (event) => received.push((event as MessageEvent).data));
          source.onopen = () => received.push('open');
        }, url);
        await expect
          .poll(() => page.evaluate(() => (window as unknown as { received: string[] }).received))
          .toContain('open');
        const created = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({
            query: 'mutation { createPaper(input: { title: "Seen by EventSource" }) { __typename } }',
          }),
        });
        expect(await created.json()).toMatchObject({ data: { createPaper: { __typename: 'CreatePaperPayload' } } });
        await expect
          .poll(() => page.evaluate(() => (window as unknown as { received: string[] }).received.join('\n')), {
            timeout: 15_000,
          })
          .toContain('Seen by EventSource');
      } finally {
        await browser.close();
      }
    },
  );
});
