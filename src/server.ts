// The server process: config → database → migrations and sample → HTTP and WebSocket →
// graceful shutdown. Each phase is logged as it starts, so that an operator sees what the
// server is doing, and a failure to start names what failed.
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import pino, { type Logger } from 'pino';
import type { Config } from './config.ts';
import { createDb, type Db, dataDirLock, poolFigures } from './db/database.ts';
import { prepareDatabase } from './db/prepare.ts';
import { writeEvents } from './db/transaction.ts';
import { createHttpHandler } from './http-handler.ts';
import { type ImportedCounts, importEvents } from './import/import-events.ts';
import { createMetrics, serveMetrics } from './metrics.ts';
import { yogaLogger } from './plugins/error-codes.ts';
import { loadPersistedDocuments } from './plugins/persisted-documents.ts';
import { createRateLimiter } from './plugins/rate-limit.ts';
import { createMemoryCache, createRedisCache } from './plugins/response-cache.ts';
import { createPapersPubSub } from './pubsub.ts';
import type { RedisConnections } from './redis.ts';
import { type SyncSchedule, startSyncSchedule } from './sync/schedule.ts';
import { syncFigures } from './sync/sync-status.ts';

/** How long a starting server waits for Redis before serving without it. */
const REDIS_START_WAIT_MS = 3_000;

import { invalidRules, loadTagger } from './topics/tag-papers.ts';
import { VERSION } from './version.ts';
import { WEB_APP_DIR, webAppManifest } from './web-app.ts';
import { serveWebSockets } from './websocket.ts';
import { createApp, GRAPHQL_PATH, servedSchema } from './yoga.ts';

export interface RunningServer {
  url: string;
  server: Server;
  db: Db;
  redis: RedisConnections | undefined;
  /** The Daily Papers sync, when SYNC_INTERVAL is set. */
  sync: SyncSchedule | undefined;
  /**
   * Stops accepting connections, completes open subscriptions, lets in-flight requests finish
   * (their responses close their connections), then closes Redis and the database.
   */
  close(): Promise<void>;
}

/** The process's logger: JSON lines on stdout, never request bodies, headers or keys. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'papergraph' } });
}

/** A socket that could not be listened on, said plainly (EADDRINUSE is the usual one). */
export class ListenError extends Error {
  override name = 'ListenError';
}

async function listen(server: Server, config: Pick<Config, 'port' | 'host'>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) => {
      const where = `${config.host}:${config.port}`;
      if (error.code === 'EADDRINUSE')
        reject(new ListenError(`port ${config.port} is in use (${where}): stop what uses it, or set PORT`));
      else if (error.code === 'EACCES')
        reject(new ListenError(`not allowed to listen on ${where}: use a port above 1023, or set PORT`));
      else if (error.code === 'EADDRNOTAVAIL')
        reject(new ListenError(`HOST ${config.host} is not an address of this machine`));
      else reject(error);
    };
    server.once('error', fail);
    server.listen(config.port, config.host, () => {
      server.off('error', fail);
      resolve();
    });
  });
}

export async function startServer(config: Config, log?: Logger): Promise<RunningServer> {
  const logger = log ?? createLogger(config);
  logger.info(
    {
      database: config.databaseUrl ? 'postgresql' : 'embedded',
      dataDir: config.databaseUrl ? undefined : config.dataDir,
    },
    'opening the database',
  );
  const db = await createDb({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    statementTimeoutMs: config.statementTimeoutMs,
    poolSize: config.dbPoolSize,
    role: 'server',
  });
  try {
    return await serve(config, logger, db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

async function serve(config: Config, logger: Logger, db: Db): Promise<RunningServer> {
  const prepared = await prepareDatabase(db, {
    sampleData: config.sampleData,
    onPhase: (phase, details) => logger.info(details ?? {}, phase),
  });
  if (prepared.migrations.length > 0) logger.info({ migrations: prepared.migrations }, 'applied migrations');
  if (prepared.samplePapers > 0) logger.info({ papers: prepared.samplePapers }, 'loaded the sample papers');
  // ioredis is loaded only when Redis is configured.
  const redisModule = config.redisUrl ? await import('./redis.ts') : undefined;
  const redis = config.redisUrl ? redisModule?.connectRedis(config.redisUrl, logger) : undefined;
  // Until the subscriber connection is ready, a SUBSCRIBE waits in its queue while events pass
  // by: a client could subscribe, be answered, and miss a paper added the next moment. Start
  // serving once Redis is ready, or after a short wait without it (it is optional; the clients
  // keep reconnecting).
  if (redis && !(await redis.whenReady(REDIS_START_WAIT_MS))) {
    logger.warn('Redis is not reachable yet: serving without it until it is (events stay in this process)');
  }
  const pubsub = createPapersPubSub(redis ? redisModule?.eventTargetClients(redis, logger) : undefined);
  const rateLimit = createRateLimiter({
    perMinute: config.rateLimitPerMinute,
    redis: redis?.client,
    onRedisFailure: (error) => {
      if (redis) redis.stats.failures++;
      logger.warn({ err: (error as Error).message }, 'rate limits fall back to this process: Redis failed');
    },
  });
  const shutdown = new AbortController();
  const metrics = config.metricsPort ? createMetrics() : undefined;
  const countRetries = () => metrics?.writeRetries.inc();
  const countImported = (counts: ImportedCounts) => {
    for (const result of ['created', 'updated', 'unchanged', 'skipped'] as const) {
      if (counts[result] > 0) metrics?.importedRecords.inc({ result }, counts[result]);
    }
  };
  if (metrics) {
    writeEvents.on('retry', countRetries);
    importEvents.on('imported', countImported);
    metrics.watch({
      pool: () => poolFigures(db) ?? { total: 0, idle: 0, waiting: 0 },
      redis: redis ? () => redis.stats : undefined,
      sync: () => syncFigures(db),
    });
  }
  // OpenTelemetry is loaded only when an endpoint is configured.
  const tracing = config.otlpEndpoint ? (await import('./tracing.ts')).createTracing(VERSION) : undefined;
  const app = await createApp({
    metrics,
    tracing: tracing?.plugin,
    db,
    pubsub,
    errorDetails: config.errorDetails,
    rateLimit,
    trustProxy: config.trustProxy,
    shutdown: shutdown.signal,
    logger: yogaLogger(logger.child({ component: 'yoga' })),
    readiness: redis ? async () => ({ redis: (await redis.ping()) ? 'up' : 'down' }) : undefined,
    // Client apps: the manifests of persisted documents (the page's with it), the response cache.
    persistedDocuments: loadPersistedDocuments(
      [config.persistedDocuments, config.webApp ? webAppManifest() : undefined].filter((f) => f !== undefined),
      servedSchema,
    ),
    persistedDocumentsOnly: config.persistedDocumentsOnly,
    responseCache:
      config.responseCache === 'memory'
        ? createMemoryCache()
        : config.responseCache === 'redis' && redis
          ? createRedisCache(redis.client, {
              onFailure: () => {
                redis.stats.failures++;
              },
            })
          : undefined,
    onResponseCacheFailure: (error) => {
      if (redis) redis.stats.failures++;
      logger.warn({ err: (error as Error).message }, 'the response cache could not be invalidated');
    },
    webApp: config.webApp ? WEB_APP_DIR : undefined,
  });
  const http = createHttpHandler(app, {
    logger,
    maxBodyBytes: config.maxBodyBytes,
    requestTimeoutMs: config.requestTimeoutMs,
  });
  const server = createServer(http.listener);
  server.requestTimeout = config.requestTimeoutMs + 15_000;
  server.headersTimeout = 10_000;
  const sockets = serveWebSockets(server, app, {
    logger,
    rateLimit,
    onLimited: () => metrics?.rateLimited.inc({ transport: 'websocket' }),
    trustProxy: config.trustProxy,
    maxPayload: config.maxBodyBytes,
  });
  let metricsServer: Server | undefined;
  try {
    await listen(server, config);
    if (metrics && config.metricsPort) metricsServer = await serveMetrics(metrics, config.host, config.metricsPort);
  } catch (error) {
    redis?.disconnect();
    server.close();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const loopbackOrAny = ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].includes(config.host);
  const host = loopbackOrAny ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}${GRAPHQL_PATH}`;
  dataDirLock(db)?.describe({ url });
  logger.info({ url, host: config.host, port }, `listening on ${url}`);
  // The tagger compiles its rules in the background once the server answers.
  loadTagger(db).then(
    () => {
      for (const rule of invalidRules()) {
        logger.warn(
          { topic: rule.topic, pattern: rule.pattern, reason: rule.reason },
          'a stored topic rule is not valid: left out',
        );
      }
    },
    (error: unknown) => logger.warn({ err: (error as Error).message }, 'could not load the topic rules'),
  );
  const sync = config.syncIntervalMs
    ? startSyncSchedule({
        db,
        pubsub,
        config,
        intervalMs: config.syncIntervalMs,
        log: logger.child({ component: 'sync' }),
      })
    : undefined;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // The sync stops between days (a day being written finishes; one being fetched is dropped).
      const syncStopped = sync?.stop();
      // No new connections. The open ones stay: one may hold a request that has arrived but not
      // been read yet (http.Server's own close() would cut it as idle); each response from now
      // on closes its connection instead.
      const stopped = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
      // Subscriptions complete (SSE streams and WebSocket operations get their `complete`).
      shutdown.abort();
      const drained = http.drain();
      // Requests have a deadline, so draining ends; this bound only guards against a stuck socket.
      const grace = new Promise<void>((resolve) => setTimeout(resolve, config.requestTimeoutMs + 5_000).unref());
      await Promise.race([drained, grace]);
      await sockets.dispose();
      server.closeAllConnections();
      await stopped;
      metricsServer?.close();
      await tracing?.shutdown();
      writeEvents.off('retry', countRetries);
      importEvents.off('imported', countImported);
      await syncStopped;
      redis?.disconnect();
      await db.destroy();
    })());
  return { url, server, db, redis, sync, close };
}
