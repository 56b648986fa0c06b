import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type RunningServer, startServer } from '../../src/server.ts';

// OpenTelemetry traces, sent to a collector this test plays (OTLP over HTTP, JSON).
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'papergraph-tracing-'));
let collector: Server;
let server: RunningServer;
const received: string[] = [];

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += String(c)));
    req.on('end', () => {
      received.push(`${req.url} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  // The exporter reads the standard variables itself; a short batch delay keeps the test quick.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
  process.env.OTEL_BSP_SCHEDULE_DELAY = '100';
  const config = loadConfig({ LOG_LEVEL: 'silent', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
  server = await startServer({ ...config, dataDir, port: 0 });
});
afterAll(async () => {
  await server?.close();
  collector?.close();
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete process.env.OTEL_BSP_SCHEDULE_DELAY;
  rmSync(dataDir, { recursive: true, force: true });
});

describe('tracing', () => {
  it('sends a span per GraphQL operation to the configured OTLP endpoint, without variables', async () => {
    await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'query TracedNewest($n: Int) { papers(first: $n) { nodes { title } } }',
        variables: { n: 2 },
        operationName: 'TracedNewest',
      }),
    });
    await expect.poll(() => received.join('\n'), { timeout: 15_000 }).toContain('TracedNewest');
    const traces = received.filter((r) => r.startsWith('/v1/traces'));
    expect(traces.length).toBeGreaterThan(0);
    expect(traces.join('\n')).toContain('papergraph');
    expect(traces.join('\n')).not.toContain('graphql.execute.variables');
  });
});
