// Incremental delivery: `@defer` and `@stream` (Yoga's defer-stream plugin), over multipart HTTP
// (Accept: multipart/mixed) and Server-Sent Events (Accept: text/event-stream). A page asks for
// what it shows first and defers the slow parts (similar papers, facets); the first part is
// sent as soon as it is ready. The query cost (query-cost.ts) holds its budget until the last
// part is sent.

import { useDeferStream } from '@graphql-yoga/plugin-defer-stream';
import type { GraphQLSchema } from 'graphql';

export { useDeferStream };

/**
 * The schema with the @defer and @stream directives, as the plugin makes it. Built once and
 * given to Yoga, so that everything else that reads the schema (the persisted documents checked
 * at start-up, the cache hints) sees the schema that is served.
 */
export function withDeferStream(schema: GraphQLSchema): GraphQLSchema {
  let served = schema;
  useDeferStream().onSchemaChange?.({
    schema,
    replaceSchema: (next: GraphQLSchema) => {
      served = next;
    },
  } as never);
  return served;
}
