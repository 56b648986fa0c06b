// Which requests run a mutation: what the HTTP front (http-handler.ts) must know when a
// request's deadline passes. A mutation that has begun is not answered 503 ("try again"): it may
// commit, and a retry would then write twice. It answers when the write ends, which the write
// queue, statement and pool timeouts bound. (Marked by a plugin rather than kept in an
// AsyncLocalStorage: on Node 20 that turns on promise hooks, a cost every promise of every
// request would pay.)
import type { IncomingMessage } from 'node:http';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const mutating = new WeakSet<IncomingMessage>();

/** Whether this request has begun to execute a mutation. */
export function isMutating(req: IncomingMessage): boolean {
  return mutating.has(req);
}

/** Marks the node request of each mutation as it begins to execute (Yoga's node adapter puts it in the context). */
export function useMutationTracking(): Plugin {
  return {
    onExecute({ args }) {
      const req = (args.contextValue as { req?: IncomingMessage }).req;
      if (req && getOperationAST(args.document, args.operationName)?.operation === 'mutation') mutating.add(req);
    },
  };
}
