// GraphQL over WebSocket (the graphql-ws protocol) on the GraphQL path, through the same schema
// and plugins (limits, cost, error codes) as HTTP. The transport is graphql-ws' own server
// (makeServer, its documented hook for custom transports) on `ws`, so that every failure is
// logged as a JSON line and none closes a socket that other subscriptions share: a bad
// operation gets an `error` message for that operation only; a wrong key closes with 4403.
import type { IncomingMessage, Server } from 'node:http';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import type { Logger } from 'pino';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { WebSocketServer } from 'ws';
import { clientAddress, type RateLimiter, rateLimitMessage } from './plugins/rate-limit.ts';
import { type App, GRAPHQL_PATH } from './yoga.ts';

interface SocketExtra {
  request: IncomingMessage;
  /** The Authorization value of the connection (from its connection parameters). */
  authorization: string;
}

export interface WebSocketOptions {
  logger: Logger;
  rateLimit?: RateLimiter | undefined;
  trustProxy: boolean;
  /** The largest message accepted, in bytes. */
  maxPayload: number;
  /** Pings keep idle connections alive through proxies; a socket that does not answer is dropped. */
  keepAliveMs?: number;
  /** Called for each operation the rate limit refuses. */
  onLimited?: () => void;
}

type Enveloped = ReturnType<App['getEnveloped']>;

/** A Fetch request standing for the socket's upgrade request, with the connection's key. */
function fetchRequest(extra: SocketExtra): Request {
  const headers: Record<string, string> = {};
  if (extra.authorization) headers.authorization = extra.authorization;
  const forwarded = extra.request.headers['x-forwarded-for'];
  if (typeof forwarded === 'string') headers['x-forwarded-for'] = forwarded;
  // POST: Yoga refuses a mutation on a GET request, and an operation on a socket is neither.
  return new Request(`http://ws${GRAPHQL_PATH}`, { method: 'POST', headers });
}

const asErrors = (error: unknown) =>
  error instanceof GraphQLError ? [error] : [new GraphQLError('Unexpected error.', { originalError: error as Error })];

export function serveWebSockets(server: Server, app: App, options: WebSocketOptions) {
  const { logger } = options;
  const enveloped = new WeakMap<ExecutionArgs, Enveloped>();
  const graphqlWs = makeServer<Record<string, unknown> | undefined, SocketExtra>({
    onConnect: async (ctx) => {
      const authorization = String(ctx.connectionParams?.authorization ?? '');
      ctx.extra.authorization = authorization;
      if (!authorization) return true;
      // A wrong or revoked key: the connection is refused (4403), as HTTP answers 401.
      try {
        await app.getEnveloped({ request: fetchRequest(ctx.extra), params: { query: '' } } as never).contextFactory();
        return true;
      } catch {
        return false;
      }
    },
    onSubscribe: async (ctx, _id, params) => {
      if (options.rateLimit) {
        try {
          await options.rateLimit.consume(
            clientAddress(fetchRequest(ctx.extra), { req: ctx.extra.request }, options.trustProxy),
          );
        } catch (rejection) {
          if (!(rejection instanceof RateLimiterRes)) throw rejection;
          options.onLimited?.();
          const { error } = rateLimitMessage(options.rateLimit.perMinute, rejection);
          return [new GraphQLError(error.message, { extensions: error.extensions })];
        }
      }
      const request = fetchRequest(ctx.extra);
      const envelope = app.getEnveloped({ request, params } as never);
      try {
        const document = envelope.parse(params.query);
        const errors = envelope.validate(envelope.schema, document);
        if (errors.length > 0) return errors;
        const args: ExecutionArgs = {
          schema: envelope.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await envelope.contextFactory(),
        };
        enveloped.set(args, envelope);
        return args;
      } catch (error) {
        // A syntax error, a limit (they throw from parse), or an expired key: this operation's error.
        return asErrors(error);
      }
    },
    execute: (args) => {
      const envelope = enveloped.get(args);
      if (!envelope) throw new Error('an operation reached execution without its envelope');
      return envelope.execute(args);
    },
    subscribe: (args) => {
      const envelope = enveloped.get(args);
      if (!envelope) throw new Error('an operation reached execution without its envelope');
      return envelope.subscribe(args);
    },
  });

  const wss = new WebSocketServer({ server, path: GRAPHQL_PATH, maxPayload: options.maxPayload, handleProtocols });
  wss.on('error', (error) => logger.error({ err: error }, 'websocket server error'));
  const keepAliveMs = options.keepAliveMs ?? 12_000;
  wss.on('connection', (socket, request) => {
    socket.on('error', (error) => {
      logger.warn({ err: error.message }, 'websocket error');
      socket.close(CloseCode.BadRequest, 'Bad request');
    });
    let pongWait: NodeJS.Timeout | undefined;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.once('pong', () => clearTimeout(pongWait));
      socket.ping();
    }, keepAliveMs);
    const closed = graphqlWs.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            try {
              await handle(String(data));
            } catch (error) {
              // graphql-ws throws for a message that breaks the protocol (it has closed the socket).
              logger.warn({ err: (error as Error).message }, 'websocket message failed');
            }
          }),
      },
      { request, authorization: '' },
    );
    socket.once('close', (code, reason) => {
      clearInterval(ping);
      clearTimeout(pongWait);
      void closed(code, String(reason));
    });
  });
  return {
    clients: wss.clients,
    /** Closes every socket (1001 going away) and stops accepting new ones. */
    dispose: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.close(1001, 'server shutting down');
        wss.close(() => resolve());
      }),
  };
}
