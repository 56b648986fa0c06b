// What keeps one request from taking the server down: the size and shape of the query
// (GraphQL Armor), the number of nodes it may ask for (counted like GitHub's API), and the
// rate of requests per client. The numbers are documented in the README.
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import {
  type DefinitionNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DEFAULT_PAGE_SIZE } from './schema/paper-connection.ts';

export const LIMITS = {
  /** Nesting of selection sets; the GraphiQL introspection query needs 13. */
  maxDepth: 15,
  maxAliases: 30,
  maxDirectives: 50,
  /** Lexical tokens of a document: stops huge or pathologically nested queries before parsing them. */
  maxTokens: 5000,
  /** Nodes a request may ask for: the sum, over connections, of the page sizes multiplied down the path. */
  maxNodes: 50_000,
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
    onParams({ params }) {
      if (typeof params.query === 'string' && braceNesting(params.query) > max) {
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

function pageSize(field: FieldNode, variables: Record<string, unknown>): number | undefined {
  let size: number | undefined;
  for (const arg of field.arguments ?? []) {
    if (arg.name.value !== 'first' && arg.name.value !== 'last') continue;
    const value = literal(arg.value, variables);
    if (typeof value === 'number') size = Math.max(size ?? 0, value);
  }
  return size;
}

function literal(node: ValueNode, variables: Record<string, unknown>): unknown {
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.VARIABLE) return variables[node.name.value];
  return undefined;
}

/**
 * The nodes a query may return, as GitHub counts them: every connection (a field with a
 * `first`/`last` argument, or returning a page by default) contributes its page size times
 * the page sizes of the connections above it.
 */
export function countRequestedNodes(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  isConnection: (field: FieldNode) => boolean,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const walk = (set: SelectionSetNode | undefined, multiplier: number, seen: Set<string>): number => {
    let total = 0;
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        const size = pageSize(selection, variables) ?? (isConnection(selection) ? DEFAULT_PAGE_SIZE : undefined);
        if (size !== undefined) {
          total += multiplier * size + walk(selection.selectionSet, multiplier * size, seen);
        } else {
          total += walk(selection.selectionSet, multiplier, seen);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        total += walk(selection.selectionSet, multiplier, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment && !seen.has(name)) total += walk(fragment.selectionSet, multiplier, new Set([...seen, name]));
      }
    }
    return total;
  };
  return walk(operation.selectionSet, 1, new Set());
}

const CONNECTION_FIELDS = new Set(['papers', 'organizations']);

/**
 * Refuses a request that asks for more than LIMITS.maxNodes nodes before anything runs, and
 * reports the count of every request in `extensions.cost` (like GitHub's rateLimit).
 */
export function useNodeLimit(maxNodes: number = LIMITS.maxNodes): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const document = args.document as DocumentNode;
      const operation = document.definitions.find(
        (d: DefinitionNode): d is OperationDefinitionNode =>
          d.kind === Kind.OPERATION_DEFINITION && (!args.operationName || d.name?.value === args.operationName),
      );
      if (!operation) return;
      const nodes = countRequestedNodes(
        document,
        operation,
        (args.variableValues ?? {}) as Record<string, unknown>,
        (f) => CONNECTION_FIELDS.has(f.name.value),
      );
      const cost = { requestedNodes: nodes, maxNodes };
      if (nodes > maxNodes) {
        setResultAndStopExecution({
          errors: [
            new GraphQLError(
              `This query could return up to ${nodes} nodes; the limit is ${maxNodes}. Ask for smaller pages (first/last) or fewer nested connections.`,
              { extensions: { code: 'QUERY_TOO_COSTLY', cost } },
            ),
          ],
        });
        return;
      }
      return {
        onExecuteDone({ result, setResult }) {
          if ('data' in result || 'errors' in result)
            setResult({ ...result, extensions: { ...result.extensions, cost } });
        },
      };
    },
  };
}
