// Responses list an object's fields in the order the query asks for them (the GraphQL spec's
// "Serialized Map Ordering"; clients and people reading GraphiQL rely on it). Yoga's executor,
// @graphql-tools/executor 2.0.x (the last line that runs on Node 20), writes the fields in the
// order their values resolve: `{ id title }` came back as `{ title, id }` when `id` resolved
// later (pothos#1511; fixed in executor 2.1.0, which needs Node 22.15). graphql-js's executor
// keeps the order, so it runs every operation but those with @defer or @stream, which need
// Yoga's executor to deliver in parts (and whose later parts are patches, not ordered maps).

import { BREAK, type DocumentNode, execute, Kind, visit } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const incremental = new WeakMap<DocumentNode, boolean>();

function usesIncrementalDelivery(document: DocumentNode): boolean {
  let found = incremental.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      [Kind.DIRECTIVE](node) {
        if (node.name.value === 'defer' || node.name.value === 'stream') {
          found = true;
          return BREAK;
        }
        return undefined;
      },
    });
    incremental.set(document, found);
  }
  return found;
}

export function useOrderedExecution(): Plugin {
  return {
    onExecute({ args, setExecuteFn }) {
      if (!usesIncrementalDelivery(args.document)) setExecuteFn(execute);
    },
  };
}
