// Prometheus metrics (prom-client, with the Yoga plugin for the GraphQL phases), on a port of
// their own (METRICS_PORT) so that they are not public with the API. Off unless configured:
// a server without them pays nothing per request.
import { createServer, type Server } from 'node:http';
import { createCounter, createHistogram, usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * Operation names come from clients: each distinct one would be a new time series, so a
 * client sending random names could grow the registry without end. The first MAX_OPERATIONS
 * well-formed names are kept; the rest count as "other".
 */
const MAX_OPERATIONS = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The application's own figures that prom-client reads when it is scraped. */
export interface MetricSources {
  pool?: (() => { total: number; idle: number; waiting: number }) | undefined;
  redis?: (() => { lostEvents: number; failures: number }) | undefined;
  /** Read on each scrape (from the database); a failure leaves the figures out of that scrape. */
  sync?: (() => Promise<Record<string, number>>) | undefined;
}

export interface Metrics {
  registry: Registry;
  /** The Yoga plugins that measure requests, phases and errors. */
  plugins(): Plugin[];
  rateLimited: Counter<'transport'>;
  subscriptionsOpen: Gauge<'transport'>;
  writeRetries: Counter;
  importedRecords: Counter<'result'>;
  /** Adds the application's own figures (read at each scrape). */
  watch(sources: MetricSources): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'papergraph_' });
  const seen = new Set<string>();
  const operation = (name: string | undefined) => {
    if (!name) return 'anonymous';
    if (seen.has(name)) return name;
    if (seen.size < MAX_OPERATIONS && OPERATION_NAME.test(name)) {
      seen.add(name);
      return name;
    }
    return 'other';
  };
  const errors = new Counter({
    name: 'papergraph_graphql_errors_total',
    help: 'GraphQL errors in responses, by extensions.code.',
    labelNames: ['code'],
    registers: [registry],
  });
  const sources: MetricSources = {};
  const pool = new Gauge({
    name: 'papergraph_db_pool_connections',
    help: 'PostgreSQL connections of the pool: total, idle, and requests waiting for one.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const figures = sources.pool?.();
      if (!figures) return;
      this.set({ state: 'total' }, figures.total);
      this.set({ state: 'idle' }, figures.idle);
      this.set({ state: 'waiting' }, figures.waiting);
    },
  });
  void pool;
  new Gauge({
    name: 'papergraph_redis_trouble',
    help: 'Redis trouble since start: events that could not be published, commands that failed.',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const figures = sources.redis?.();
      if (!figures) return;
      this.set({ kind: 'lost_events' }, figures.lostEvents);
      this.set({ kind: 'failures' }, figures.failures);
    },
  });
  new Gauge({
    name: 'papergraph_sync',
    help: 'The daily sync: papers added and updated, days completed, whether one runs, the last run (unix seconds).',
    labelNames: ['figure'],
    registers: [registry],
    async collect() {
      const figures = await sources.sync?.().catch(() => undefined);
      for (const [figure, value] of Object.entries(figures ?? {})) this.set({ figure }, value);
    },
  });
  const metrics: Metrics = {
    registry,
    plugins: () => [
      usePrometheus({
        registry,
        endpoint: false,
        metrics: {
          graphql_yoga_http_duration: createHistogram({
            registry,
            histogram: {
              name: 'papergraph_http_request_duration_seconds',
              help: 'Time from a GraphQL request to its response, by operation.',
              labelNames: ['operation', 'type', 'status'],
              buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
            },
            fillLabelsFn: (params, context) => ({
              operation: operation(params.operationName),
              type: params.operationType ?? 'unknown',
              status: String((context as { response?: Response }).response?.status ?? 0),
            }),
          }),
          graphql_envelop_request: createCounter({
            registry,
            counter: {
              name: 'papergraph_graphql_requests_total',
              help: 'GraphQL operations executed, by operation.',
              labelNames: ['operation', 'type'],
            },
            fillLabelsFn: (params) => ({
              operation: operation(params.operationName),
              type: params.operationType ?? 'unknown',
            }),
          }),
          // The rest of the plugin's metrics label by operation too: left out, as their
          // cardinality cannot be bounded from here.
          graphql_envelop_deprecated_field: false,
          graphql_envelop_request_duration: false,
          graphql_envelop_request_time_summary: false,
          graphql_envelop_phase_parse: false,
          graphql_envelop_phase_validate: false,
          graphql_envelop_phase_context: false,
          graphql_envelop_phase_execute: false,
          graphql_envelop_phase_subscribe: false,
          graphql_envelop_error_result: false,
          graphql_envelop_schema_change: false,
        },
      }),
      {
        // Subscriptions open, over either transport (a WebSocket operation's request is the
        // synthetic http://ws/ one of websocket.ts).
        onSubscribe({ args }) {
          const request = (args.contextValue as { request?: Request } | undefined)?.request;
          const transport = request?.url.startsWith('http://ws/') ? 'websocket' : 'sse';
          return {
            onSubscribeResult() {
              metrics.subscriptionsOpen.inc({ transport });
              return { onEnd: () => metrics.subscriptionsOpen.dec({ transport }) };
            },
          };
        },
      },
      {
        // Errors by code: what a client was told, whatever the phase that failed.
        onResultProcess({ result }) {
          const results = Array.isArray(result) ? result : [result];
          for (const r of results) {
            for (const error of (r as { errors?: { extensions?: { code?: unknown } }[] }).errors ?? []) {
              errors.inc({ code: String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR') });
            }
          }
        },
      },
    ],
    rateLimited: new Counter({
      name: 'papergraph_rate_limited_total',
      help: 'Operations refused by the rate limit, by transport.',
      labelNames: ['transport'],
      registers: [registry],
    }),
    subscriptionsOpen: new Gauge({
      name: 'papergraph_subscriptions_open',
      help: 'Subscriptions open now.',
      labelNames: ['transport'],
      registers: [registry],
    }),
    writeRetries: new Counter({
      name: 'papergraph_write_retries_total',
      help: 'Catalogue writes run again after a deadlock, a serialization failure or a unique violation.',
      registers: [registry],
    }),
    importedRecords: new Counter({
      name: 'papergraph_imported_records_total',
      help: 'Records imported through the server (importPapers, the daily sync), by what they did.',
      labelNames: ['result'],
      registers: [registry],
    }),
    watch(more) {
      Object.assign(sources, more);
    },
  };
  return metrics;
}

/** Serves the registry at /metrics on a port of its own; nothing else answers there. */
export async function serveMetrics(metrics: Metrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics') return void res.writeHead(404).end();
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
