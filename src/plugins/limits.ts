// What keeps one request's document from taking the server down: its size and shape (GraphQL
// Armor) and its nesting, checked before parsing. What it may cost to run is query-cost.ts; the
// rate of requests per client, rate-limit.ts. The numbers are documented in docs/api.md.
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export const LIMITS = {
  /** Nesting of selection sets; the GraphiQL introspection query needs 13. */
  maxDepth: 15,
  maxAliases: 30,
  maxDirectives: 50,
  /** Lexical tokens of a document: stops huge or pathologically nested queries before parsing them. */
  maxTokens: 5000,
  /** Brace nesting allowed in a document's text, checked before parsing (see useNestingGuard). */
  maxBraceNesting: 64,
} as const;

/** The deepest nesting of { } and ( ) in a GraphQL document, outside strings and comments. */
export function braceNesting(query: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < query.length; i++) {
    const c = query[i];
    if (c === '#') {
      while (i < query.length && query[i] !== '\n') i++;
    } else if (c === '"') {
      const block = query.startsWith('"""', i);
      const end = block ? '"""' : '"';
      for (i += end.length; i < query.length && !query.startsWith(end, i); i++) if (query[i] === '\\') i++;
      i += end.length - 1;
    } else if (c === '{' || c === '(' || c === '[') {
      depth++;
      if (depth > max) max = depth;
    } else if (c === '}' || c === ')' || c === ']') {
      depth--;
    }
  }
  return max;
}

/**
 * graphql-js parses recursively: a document nested thousands of levels deep overflows the
 * stack before any token or depth limit is reached. Measure the nesting in the text first.
 */
export function useNestingGuard(max: number = LIMITS.maxBraceNesting): Plugin {
  return {
    // At parse time, so that every transport (HTTP and WebSocket) passes here.
    onParse({ params }) {
      const text = typeof params.source === 'string' ? params.source : params.source.body;
      if (braceNesting(text) > max) {
        throw new GraphQLError(`The query is nested more than ${max} levels deep.`, {
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
        });
      }
    },
  };
}

// Armor's errors come without a code or an HTTP status: give them both, so that clients can
// tell a refused query (400, QUERY_LIMIT_EXCEEDED) from a server fault.
const onReject = [
  (_ctx: unknown, error: GraphQLError) => {
    Object.assign(error.extensions, { code: 'QUERY_LIMIT_EXCEEDED', http: { status: 400 } });
  },
];

/** GraphQL Armor's checks; field suggestions ("Did you mean …?") are never sent, as they leak the schema. */
export function armorPlugins(): Plugin[] {
  const armor = new EnvelopArmor({
    maxDepth: { n: LIMITS.maxDepth, ignoreIntrospection: false, flattenFragments: true, onReject },
    maxAliases: { n: LIMITS.maxAliases, allowList: [], onReject },
    maxDirectives: { n: LIMITS.maxDirectives, onReject },
    maxTokens: { n: LIMITS.maxTokens, onReject },
    // Costs by depth are covered by maxNodes below, which knows about page sizes.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: true },
  });
  return armor.protect().plugins as Plugin[];
}
