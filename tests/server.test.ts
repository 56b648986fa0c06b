import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../src/config.ts';
import { type RunningServer, startServer } from '../src/server.ts';

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
  it('loads the sample on first start, serves it, and reuses it on the next start', async () => {
    running = await startServer(config);
    const first = await post(running.url, '{ papers(first: 1) { totalCount nodes { title } } }');
    expect(first.data.papers.totalCount).toBe(47);
    await running.close();

    running = await startServer(config);
    const second = await post(running.url, '{ papers(first: 1) { totalCount nodes { title } } }');
    expect(second.data.papers.totalCount).toBe(47);
  });

  it('on close, lets the requests in flight finish before shutting down', async () => {
    const server = await startServer(config);
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
});
