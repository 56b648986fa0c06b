import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { execute, subscribe } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pino, { type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { Config } from './config.ts';
import { createDb, type Db } from './db/database.ts';
import { createPapersPubSub } from './pubsub.ts';
import { createRateLimiter } from './rate-limit.ts';
import { prepareDatabase } from './setup.ts';
import { type App, createApp, GRAPHQL_PATH } from './yoga.ts';

/**
 * GraphQL over WebSocket (the graphql-ws protocol) on the GraphQL path, for subscriptions,
 * through the same schema and plugins as HTTP. The API key comes in the connection
 * parameters: { "authorization": "Bearer <key>" }.
 */
function serveWebSockets(server: Server, app: App) {
  const wss = new WebSocketServer({ server, path: GRAPHQL_PATH });
  const cleanup = useServer(
    {
      execute: (args) => (args.rootValue as { execute: typeof execute }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: typeof subscribe }).subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const authorization = String(
          (ctx.connectionParams as { authorization?: unknown } | undefined)?.authorization ?? '',
        );
        const request = new Request(`http://ws${GRAPHQL_PATH}`, { headers: authorization ? { authorization } : {} });
        const enveloped = app.getEnveloped({ request, params } as never);
        const document = enveloped.parse(params.query);
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        return {
          schema: enveloped.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      },
    },
    wss,
  );
  return { clients: wss.clients, dispose: () => cleanup.dispose() };
}

/** Bodies over the limit but under this are read and discarded before the 413 (see below). */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/** How long in-flight requests get to finish on shutdown before their connections are cut. */
const SHUTDOWN_GRACE_MS = 5000;

export interface RunningServer {
  url: string;
  server: Server;
  /** Stops accepting connections, lets in-flight requests finish, closes the database. */
  close(): Promise<void>;
}

/** The process's logger: JSON lines on stdout, never request bodies, headers or keys. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'papergraph' } });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** Whether the database answers a trivial query within a second. */
async function databaseReady(db: Db): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      sql`select 1`.execute(db),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), 1000);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** config → database → migrations and seed → HTTP server. */
export async function startServer(config: Config, log?: Logger): Promise<RunningServer> {
  const logger = log ?? createLogger(config);
  const db = await createDb({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    statementTimeoutMs: config.statementTimeoutMs,
  });
  const prepared = await prepareDatabase(db, { sampleData: config.sampleData });
  if (prepared.migrations.length > 0) logger.info({ migrations: prepared.migrations }, 'applied migrations');
  if (prepared.samplePapers > 0) logger.info({ papers: prepared.samplePapers }, 'loaded the sample papers');
  // Two Redis connections: a subscribing connection can do nothing else.
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1 }) : undefined;
  const subscriber = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: null }) : undefined;
  for (const client of [redis, subscriber])
    client?.on('error', (error) => logger.warn({ err: error.message }, 'redis error'));
  const pubsub = createPapersPubSub(
    redis && subscriber ? { publishClient: redis, subscribeClient: subscriber } : undefined,
  );
  const app = createApp({
    db,
    pubsub,
    production: config.production,
    rateLimit: {
      limiter: createRateLimiter({ perMinute: config.rateLimitPerMinute, redis }),
      perMinute: config.rateLimitPerMinute,
    },
    logger: logger.child({ component: 'yoga' }),
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    const started = performance.now();
    res.on('finish', () => {
      logger.info(
        {
          requestId,
          method: req.method,
          path: req.url?.split('?')[0],
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    });
    const path = req.url?.split('?')[0] ?? '/';
    if (path === '/') return void res.writeHead(302, { location: GRAPHQL_PATH }).end();
    if (path === '/health') return json(res, 200, { status: 'ok' });
    if (path === '/ready') {
      const ready = await databaseReady(db);
      return json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'database unavailable' });
    }
    if (req.method === 'POST') {
      const length = req.headers['content-length'];
      if (length === undefined) {
        return json(res, 411, {
          errors: [{ message: 'A Content-Length header is required.', extensions: { code: 'LENGTH_REQUIRED' } }],
        });
      }
      if (Number(length) > config.maxBodyBytes) {
        // Read and discard a moderately large body: answering while the client is still
        // sending would reset the connection before it reads the answer. A huge one is not
        // worth reading: answer and close.
        const drain = Number(length) <= DRAIN_LIMIT;
        if (drain) req.resume();
        return json(
          res,
          413,
          {
            errors: [
              {
                message: `The request body is larger than ${config.maxBodyBytes} bytes.`,
                extensions: { code: 'PAYLOAD_TOO_LARGE' },
              },
            ],
          },
          drain ? {} : { connection: 'close' },
        );
      }
    }
    await app.handle(req, res);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'request failed');
      if (!res.headersSent)
        json(res, 500, { errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  const sockets = serveWebSockets(server, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const loopbackOrAny = ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].includes(config.host);
  const host = loopbackOrAny ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}${GRAPHQL_PATH}`;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        // Stop accepting; idle keep-alive connections go now, busy ones after their response.
        server.close(() => resolve());
        server.closeIdleConnections();
        // Subscriptions never finish by themselves: end WebSocket ones now, and cut whatever
        // is still open (Server-Sent Events) after the grace period.
        for (const client of sockets.clients) client.close(1001, 'server shutting down');
        setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
      });
      await sockets.dispose();
      redis?.disconnect();
      subscriber?.disconnect();
      await db.destroy();
    })());
  return { url, server, close };
}
