import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth.ts';
import { loadConfig } from '../../src/config.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { apiEntry } from '../helpers/api-records.ts';

// Prometheus metrics on their own port, scraped as Prometheus would.
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'papergraph-metrics-'));
let server: RunningServer;
let metricsUrl = '';

async function freePort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => probe.once('listening', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  return port;
}

beforeAll(async () => {
  const metricsPort = await freePort();
  const config = loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '1000', METRICS_PORT: String(metricsPort) });
  server = await startServer({ ...config, dataDir, port: 0 });
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
});
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const post = (query: string, operationName?: string) =>
  fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, operationName }),
  });

/** The value of one series of the scrape, or undefined. */
function value(scrape: string, series: string): number | undefined {
  const line = scrape.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : undefined;
}

describe('metrics', () => {
  it('count operations by name, errors by code and subscriptions open; not on the API port', async () => {
    for (let i = 0; i < 3; i++) await post('query Newest { papers(first: 2) { nodes { title } } }', 'Newest');
    await post('{ topic(slug: "no-such-topic") { name } }');
    const controller = new AbortController();
    const sse = await fetch(`${server.url}?query=${encodeURIComponent('subscription { paperAdded { title } }')}`, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(sse.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    const scrape = await (await fetch(metricsUrl)).text();
    controller.abort();
    expect(value(scrape, 'papergraph_graphql_requests_total{operation="Newest",type="query"}')).toBe(3);
    expect(value(scrape, 'papergraph_graphql_errors_total{code="NOT_FOUND"}')).toBeGreaterThanOrEqual(1);
    expect(value(scrape, 'papergraph_subscriptions_open{transport="sse"}')).toBe(1);
    expect(scrape).toMatch(/papergraph_http_request_duration_seconds_bucket\{[^}]*operation="Newest"/);
    expect(scrape).toContain('papergraph_process_resident_memory_bytes');
    expect((await fetch(`${new URL(server.url).origin}/metrics`)).status).toBe(404);
  });

  it('count the records of committed imports, and show the daily sync', async () => {
    const { key } = await createApiKey(server.db, 'metrics test', ['admin']);
    const importPapers = (content: string) =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({
          query:
            'mutation ($input: ImportPapersInput!) { importPapers(input: $input) { __typename ... on ImportPapersPayload { created skipped } } }',
          variables: { input: { format: 'HF_JSONL', content } },
        }),
      }).then((r) => r.json());
    const lines = ['2612.00001', '2612.00002', '2612.00003'].map((id) => JSON.stringify(apiEntry({ paper: { id } })));
    expect(await importPapers([...lines, '{"not": "a record"}'].join('\n'))).toMatchObject({
      data: { importPapers: { __typename: 'ImportPapersPayload', created: 3, skipped: 1 } },
    });
    // Refused whole (no valid record): nothing was written, nothing is counted.
    await importPapers('{"not": "a record"}');
    const scrape = await (await fetch(metricsUrl)).text();
    expect(value(scrape, 'papergraph_imported_records_total{result="created"}')).toBe(3);
    expect(value(scrape, 'papergraph_imported_records_total{result="skipped"}')).toBe(1);
    // No sync has run on this database: its state reads as nothing done yet.
    expect(value(scrape, 'papergraph_sync{figure="running"}')).toBe(0);
    expect(value(scrape, 'papergraph_sync{figure="last_run_seconds"}')).toBe(0);
  });

  it('keep operation names from growing the registry without end', async () => {
    for (let i = 0; i < 260; i++) await post(`query Op${i} { __typename }`, `Op${i}`);
    const scrape = await (await fetch(metricsUrl)).text();
    const names = new Set(
      [...scrape.matchAll(/papergraph_graphql_requests_total\{operation="([^"]+)"/g)].map((m) => m[1]),
    );
    expect(names.size).toBeLessThanOrEqual(201);
    expect(names.has('other')).toBe(true);
  });
});
