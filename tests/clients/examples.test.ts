// The client apps of examples/: the typed client generated from the current schema (a schema
// change that breaks them fails here), type-checked and run against a server, and the Daily
// Papers page built on it, in Chromium. The server runs persisted documents only, as a locked-down
// public API would: everything the examples send is in the manifest codegen wrote.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { createServerDatabase } from '../helpers/server-db.ts';

const run = promisify(execFile);
const bin = (name: string) => path.resolve('node_modules/.bin', name);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'papergraph-clients-'));
let database: Awaited<ReturnType<typeof createServerDatabase>>;
let server: RunningServer;

beforeAll(async () => {
  // Types from the schema as it is now, then the compiler on the examples, then the page's bundle.
  await run(bin('graphql-codegen'), ['--config', 'examples/client/codegen.ts']);
  await run(bin('tsc'), ['-p', 'examples/client/tsconfig.json']);
  await run(bin('tsx'), ['examples/web/build.ts']);
  database = await createServerDatabase();
  const config: Config = {
    ...loadConfig({ LOG_LEVEL: 'silent', PERSISTED_DOCUMENTS_ONLY: 'on', WEB_APP: 'on' }),
    dataDir,
    databaseUrl: database?.url,
    port: 0,
  };
  server = await startServer(config);
});

afterAll(async () => {
  await server?.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the typed client (examples/client)', () => {
  it('walks topics → papers → topics with cursors, by persisted documents only', async () => {
    const { stdout } = await run(bin('tsx'), ['examples/client/src/walk.ts', server.url]);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      topics: string[];
      pages: number;
      papers: number;
    };
    expect(summary.topics.length).toBeGreaterThanOrEqual(2);
    expect(new Set(summary.topics).size).toBe(summary.topics.length);
    expect(summary.pages).toBeGreaterThan(summary.topics.length);
    expect(summary.papers).toBeGreaterThan(5);
    // The server refuses what is not in the manifest.
    const free = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ papers { totalCount } }' }),
    });
    expect(((await free.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe(
      'PERSISTED_QUERY_ONLY',
    );
  });
});

// Required in CI; elsewhere it needs Debian's chromium (apt-get install chromium).
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`CI needs Chromium at ${CHROMIUM} for the page test`);

describe.runIf(haveChromium)('the Daily Papers page (examples/web, WEB_APP=on)', () => {
  let browser: Browser;
  let page: Page;
  const titles = () => page.locator('li.paper h2').allTextContents();

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage();
  });
  afterAll(() => browser?.close());

  it('loads and lists the sample papers, ten at a time, then more by cursor', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(new URL('/app/', server.url).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    expect(await page.locator('#status').textContent()).toBe('47 papers newest');
    expect(await titles()).toHaveLength(10);
    await page.click('#more');
    await expect.poll(async () => (await titles()).length).toBe(20);
    expect(new Set(await titles()).size).toBe(20);
    expect(errors).toEqual([]);
  });

  it('filters by topic', async () => {
    const chip = page.locator('#topics .chip[data-slug="pre-training"]');
    await chip.click();
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/^\d+ papers newest in pre-training$/);
    const count = Number((await page.locator('#status').textContent())?.split(' ')[0]);
    expect(count).toBeGreaterThan(5);
    expect(count).toBeLessThan(47);
    // Every paper listed has the topic.
    for (const paper of await page.locator('li.paper').all()) {
      expect(await paper.locator('.chip').allTextContents()).toContain('Pre-training');
    }
    await page.locator('#topics .chip', { hasText: 'All' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toBe('47 papers newest');
  });

  it('searches', async () => {
    await page.fill('#q', 'multilingual');
    await page.press('#q', 'Enter');
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/papers matching “multilingual”/);
    const found = await titles();
    expect(found.length).toBeGreaterThan(0);
    expect(found.length).toBeLessThan(20);
    await page.fill('#q', '');
    await page.press('#q', 'Enter');
    await expect.poll(() => page.locator('#status').textContent()).toBe('47 papers newest');
  });

  it('shows an upvote made through the API as it happens', async () => {
    await expect.poll(() => page.evaluate(() => document.body.dataset.live)).toBe('4');
    const first = page.locator('li.paper').first();
    const id = (await first.getAttribute('data-id')) ?? '';
    const before = Number(await first.locator('.votes').textContent());
    const { key } = await createApiKey(server.db, 'page test', ['write']);
    const { stdout } = await run(bin('tsx'), ['examples/client/src/upvote.ts', server.url, key, id]);
    expect(JSON.parse(stdout)).toEqual({ id, upvotes: before + 1 });
    await expect.poll(() => first.locator('.votes').textContent(), { timeout: 10_000 }).toBe(String(before + 1));
    await page.screenshot({ path: path.join(os.tmpdir(), 'papergraph-daily-page.png') });
  });
});
