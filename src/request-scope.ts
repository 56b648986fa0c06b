// Which requests run a mutation: what the HTTP front (http-handler.ts) must know when a
// request's deadline passes, and what error-codes.ts must know to keep a written answer 200. A mutation that has begun is not answered 503 ("try again"): it may
// commit, and a retry would then write twice. It answers when the write ends, which the write
// queue, statement and pool timeouts bound. (Marked by a plugin rather than kept in an
// AsyncLocalStorage: on Node 20 that turns on promise hooks, a cost every promise of every
// request would pay.)
import type { IncomingMessage } from 'node:http';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const mutating = new WeakSet<IncomingMessage | Request>();

/** Whether this request (node's, or the Fetch API's that Yoga made of it) has begun to execute a mutation. */
export function isMutating(request: IncomingMessage | Request): boolean {
  return mutating.has(request);
}

/**
 * Marks each mutation's requests as it begins to execute: the Fetch API's, and node's when
 * Yoga's node adapter put it in the context (not with `app.fetch`).
 */
export function useMutationTracking(): Plugin {
  return {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      const { req, request } = args.contextValue as { req?: IncomingMessage; request: Request };
      mutating.add(request);
      if (req) mutating.add(req);
    },
  };
}
