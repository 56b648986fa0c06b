// The node:http front of the app: what must happen before a body is read (411, 413), request
// ids and logs, a deadline per request, and the manners of a server that is shutting down.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { isMutating } from './request-scope.ts';
import type { App } from './yoga.ts';

/** How long no request may be in flight before a shutdown closes the remaining connections. */
const DRAIN_QUIET_MS = 300;

/** Bodies over the limit but under this are read and discarded before the 413 (see below). */
const DRAIN_LIMIT = 64 * 1024 * 1024;

export interface HttpHandlerOptions {
  logger: Logger;
  maxBodyBytes: number;
  /** A request (other than a stream, or a mutation that has begun) still running after this long is answered 503. */
  requestTimeoutMs: number;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

const error = (message: string, code: string) => ({ errors: [{ message, extensions: { code } }] });

export function createHttpHandler(app: App, options: HttpHandlerOptions) {
  const { logger } = options;
  let closing = false;
  const inFlight = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    // After shutdown began, no connection is kept for another request.
    if (closing) res.setHeader('connection', 'close');
    const started = performance.now();
    const path = req.url?.split('?')[0] ?? '/';
    res.on('finish', () => {
      logger.info(
        { requestId, method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started) },
        'request',
      );
    });
    if (path === '/') return void res.writeHead(302, { location: '/graphql' }).end();
    if (req.method === 'POST') {
      const length = req.headers['content-length'];
      if (length === undefined) {
        return json(res, 411, error('A Content-Length header is required.', 'LENGTH_REQUIRED'));
      }
      if (Number(length) > options.maxBodyBytes) {
        // Read and discard a moderately large body: answering while the client is still
        // sending would reset the connection before it reads the answer. A huge one is not
        // worth reading: answer and close.
        const drain = Number(length) <= DRAIN_LIMIT;
        if (drain) req.resume();
        return json(
          res,
          413,
          error(`The request body is larger than ${options.maxBodyBytes} bytes.`, 'PAYLOAD_TOO_LARGE'),
          drain ? {} : { connection: 'close' },
        );
      }
    }
    // Streams (subscriptions over SSE) run as long as the client listens; anything else has a
    // deadline: past it the client gets 503, and the connection closes, which cancels the work.
    const streaming = req.headers.accept?.includes('text/event-stream') === true;
    let timedOut = false;
    const handled = app.handle(req, res);
    const deadline = streaming
      ? undefined
      : setTimeout(() => {
          // A write began: "try again" could write twice. The answer comes when it ends.
          if (isMutating(req)) return void logger.warn({ requestId, path }, 'deadline passed during a write');
          timedOut = true;
          if (res.headersSent) return void res.destroy();
          json(res, 503, error('The request took too long; try again shortly.', 'SERVICE_UNAVAILABLE'), {
            connection: 'close',
            'retry-after': '1',
          });
        }, options.requestTimeoutMs);
    try {
      await handled;
    } catch (failure) {
      // After the deadline, the app's late writes fail: they are expected.
      if (timedOut) return;
      throw failure;
    } finally {
      clearTimeout(deadline);
    }
  };

  return {
    listener(req: IncomingMessage, res: ServerResponse) {
      inFlight.add(res);
      res.once('close', () => inFlight.delete(res));
      handle(req, res).catch((failure: unknown) => {
        logger.error({ err: failure }, 'request failed');
        if (!res.headersSent) json(res, 500, error('Unexpected error.', 'INTERNAL_SERVER_ERROR'));
        else res.destroy();
      });
    },
    /**
     * From now on responses close their connections; resolves once no request has been in
     * flight for DRAIN_QUIET_MS (a request already sent on a kept-alive connection may still
     * arrive: it is served, and its connection closed).
     */
    async drain(): Promise<void> {
      closing = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
      let quietSince = performance.now();
      while (performance.now() - quietSince < DRAIN_QUIET_MS) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        if (inFlight.size > 0) quietSince = performance.now();
      }
    },
    get inFlight() {
      return inFlight.size;
    },
  };
}
