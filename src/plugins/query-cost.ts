// What a query may cost, known before it runs: an upper bound on the objects its response can
// hold, from the schema (every list has a bound, declared next to the field: schema/costs.ts)
// and the arguments. A request over the limit is refused; the server as a whole runs at most a
// budget of such objects at once (others wait briefly, then get 503), so that no sequence of
// requests within the limits takes its memory past a known figure; and a response has a size
// limit. Introspection is left out: the depth, alias and token limits bound it.
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  isAbstractType,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { CatalogueStats, FieldCost } from '../schema/costs.ts';
import { PAGE_SIZE } from '../schema/pagination.ts';
import { Semaphore } from '../util/semaphore.ts';

export const COST_LIMITS = {
  /** Objects (and text weight) one request may ask for. */
  maxNodes: 50_000,
  /** Objects all requests running at once may ask for; more wait for room. */
  maxNodesInFlight: 200_000,
  /** How long a request waits for room before it is answered 503. */
  maxWaitMs: 5_000,
  /** The largest response body, in bytes (measured on the result before it is sent). */
  maxResponseBytes: 16 * 1024 * 1024,
} as const;

/** Overrides of the limits (tests). */
export type CostLimits = { [K in keyof typeof COST_LIMITS]?: number };

/** The largest list of any kind in a request whose bound is unknown: no field should lack one. */
const UNKNOWN_LIST = PAGE_SIZE.max;

function fieldCost(field: GraphQLField<unknown, unknown>): FieldCost {
  return (field.extensions as { cost?: FieldCost } | undefined)?.cost ?? {};
}

/** A connection (Relay): an object type with `pageInfo` and lists of `edges` or `nodes`. */
function isConnection(type: GraphQLNamedType): boolean {
  return (
    isObjectType(type) && 'pageInfo' in type.getFields() && ('edges' in type.getFields() || 'nodes' in type.getFields())
  );
}

/** The page size a connection field asks for: `first`, else `last`, else the default. */
function pageSize(args: Record<string, unknown>): number {
  for (const name of ['first', 'last']) {
    const value = args[name];
    if (typeof value === 'number' && value > 0) return value;
  }
  return PAGE_SIZE.default;
}

/** What estimateCost found: the bound, and the list that contributes most to it (for the message). */
export interface CostEstimate {
  nodes: number;
  largest?: { path: string; count: number; each: number } | undefined;
}

/**
 * An upper bound on the objects the response to this operation can hold (each object, list
 * item or not, counts 1, plus the declared weight of long texts). Fragments on several types
 * of an abstract field are all counted: an upper bound. Throws nothing: arguments that do not
 * coerce count by their defaults (execution then refuses them).
 */
export function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  stats: CatalogueStats,
): CostEstimate {
  let largest: CostEstimate['largest'];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const argsOf = (field: GraphQLField<unknown, unknown>, node: FieldNode) => {
    try {
      return getArgumentValues(field, node, variables);
    } catch {
      return {};
    }
  };
  const walk = (
    set: SelectionSetNode | undefined,
    type: GraphQLNamedType,
    multiplier: number,
    innerLists: number | undefined,
    seen: ReadonlySet<string>,
    path: string,
  ): number => {
    let total = 0;
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (on) total += walk(selection.selectionSet, on, multiplier, innerLists, seen, path);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        const on = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && on && !seen.has(name)) {
          total += walk(fragment.selectionSet, on, multiplier, innerLists, new Set([...seen, name]), path);
        }
        continue;
      }
      const name = selection.name.value;
      if (name.startsWith('__')) continue;
      if (!isObjectType(type) && !isAbstractType(type)) continue;
      const field = 'getFields' in type ? type.getFields()[name] : undefined;
      if (!field) continue;
      const declared = fieldCost(field);
      const named = getNamedType(field.type);
      if (!isCompositeType(named)) {
        total += multiplier * (declared.weight ?? 0);
        continue;
      }
      const args = argsOf(field, selection);
      const list = isListType(getNullableType(field.type));
      const bound = list ? (declared.list?.(args, stats) ?? innerLists ?? UNKNOWN_LIST) : 1;
      const count = multiplier * bound;
      const at = path ? `${path}.${selection.alias?.value ?? name}` : (selection.alias?.value ?? name);
      if (list && (!largest || count > largest.count)) largest = { path: at, count, each: bound };
      const childLists = isConnection(named) ? pageSize(args) : declared.childLists?.(args);
      total += count + walk(selection.selectionSet, named, count, childLists, seen, at);
    }
    return total;
  };
  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const nodes = root ? walk(operation.selectionSet, root, 1, undefined, new Set(), '') : 0;
  return { nodes, largest };
}

/**
 * Bytes of the JSON of a result, counted without building it (strings by their length plus
 * quotes, numbers and the structure approximately): enough to enforce a size limit cheaply.
 */
export function jsonSize(value: unknown): number {
  if (value === null || value === undefined) return 4;
  if (typeof value === 'string') return value.length + 2;
  if (typeof value !== 'object') return String(value).length;
  let size = 2;
  if (Array.isArray(value)) {
    for (const item of value) size += jsonSize(item) + 1;
    return size;
  }
  // for…in, not Object.entries: no array per object of every response.
  for (const key in value) size += key.length + 4 + jsonSize((value as Record<string, unknown>)[key]);
  return size;
}

/** Thrown by the placeholder stats of a first estimate: this operation needs the real ones. */
class StatsNeeded extends Error {}

const NO_STATS: CatalogueStats = {
  get topics(): number {
    throw new StatsNeeded();
  },
  get roots(): number {
    throw new StatsNeeded();
  },
  get maxChildren(): number {
    throw new StatsNeeded();
  },
};

export interface QueryCostOptions {
  /** The sizes some bounds depend on (the taxonomy); read often, so cache them. */
  stats: () => Promise<CatalogueStats>;
  limits?: CostLimits;
}

/**
 * Refuses a request that can return more than `maxNodes` objects before anything runs,
 * reports the estimate of every request in `extensions.cost`, holds requests while the server
 * runs `maxNodesInFlight`, and refuses a response over `maxResponseBytes`.
 */
export function useQueryCost(options: QueryCostOptions): Plugin {
  const limits = { ...COST_LIMITS, ...options.limits };
  const budget = new Semaphore(limits.maxNodesInFlight);
  // Most operations have no list bounded by the taxonomy: they are estimated without reading it.
  const estimateWithStats = async (estimate: (stats: CatalogueStats) => CostEstimate) => {
    try {
      return estimate(NO_STATS);
    } catch (error) {
      if (!(error instanceof StatsNeeded)) throw error;
      return estimate(await options.stats());
    }
  };
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const document = args.document as DocumentNode;
      const operation = document.definitions.find(
        (d): d is OperationDefinitionNode =>
          d.kind === Kind.OPERATION_DEFINITION && (!args.operationName || d.name?.value === args.operationName),
      );
      if (!operation) return;
      const coerced = getVariableValues(
        args.schema,
        operation.variableDefinitions ?? [],
        (args.variableValues ?? {}) as Record<string, unknown>,
      );
      // Variables that do not coerce: execution refuses them (BAD_USER_INPUT) before any resolver.
      if (coerced.errors) return;
      const { nodes, largest } = await estimateWithStats((stats) =>
        estimateCost(args.schema, document, operation, coerced.coerced, stats),
      );
      const cost = { requestedNodes: nodes, maxNodes: limits.maxNodes };
      if (nodes > limits.maxNodes) {
        setResultAndStopExecution({
          errors: [
            new GraphQLError(
              `This query could return up to ${nodes} nodes; the limit is ${limits.maxNodes}. Ask for smaller pages (first/last) or fewer nested lists.${
                largest
                  ? ` The largest list is ${largest.path}: up to ${largest.each} per parent, ${largest.count} in all.`
                  : ''
              }`,
              { extensions: { code: 'QUERY_TOO_COSTLY', cost } },
            ),
          ],
        });
        return;
      }
      if (!(await budget.acquire(nodes, limits.maxWaitMs))) {
        setResultAndStopExecution({
          errors: [
            new GraphQLError('The server is busy with other large queries; try again shortly.', {
              extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503, headers: { 'Retry-After': '1' } } },
            }),
          ],
        });
        return;
      }
      let released = false;
      const release = () => {
        if (!released) budget.release(nodes);
        released = true;
      };
      return {
        onExecuteDone({ result, setResult }) {
          if (!('data' in result || 'errors' in result)) {
            // Incremental delivery (@defer, @stream): room is given back when the stream ends.
            return { onEnd: release };
          }
          release();
          const size = jsonSize(result.data);
          if (size > limits.maxResponseBytes) {
            setResult({
              errors: [
                new GraphQLError(
                  `The response would be about ${size} bytes; the limit is ${limits.maxResponseBytes}. Ask for fewer objects or fields.`,
                  { extensions: { code: 'RESPONSE_TOO_LARGE', cost } },
                ),
              ],
            });
            return;
          }
          setResult({ ...result, extensions: { ...result.extensions, cost } });
        },
      };
    },
  };
}
