// How long a public read stays fresh, declared next to the types and fields (in their
// `extensions`, like costs.ts), so that HTTP caches (plugins/http-cache.ts) and the response
// cache (plugins/response-cache.ts) know how long an answer may be reused. A response is
// fresh for the shortest time of anything it selects. Registers no types.
//
// The rules, for a field selected in a query:
// - its own `cacheFor`, else the `cacheFor` of the type it returns (for an interface or union
//   without one: the shortest of its possible types, none if any has none);
// - `cacheWithParent()`: a part of the object above (an edge, a page's info, a facet), as old
//   as it; a scalar or enum field that declares nothing is also part of its object;
// - anything else (a root field, an object that declares nothing) makes the response
//   uncacheable (no-store): forgetting a declaration costs speed, never freshness.
// Mutations and subscriptions are never cacheable.
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isLeafType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** A number of seconds, or 'parent': as fresh as the object above. */
export type CacheHint = number | 'parent';

/**
 * `extensions` of a type or field fresh for at most `seconds`. A field that has another
 * extension too (a cost) passes it as `also`: `...cacheFor(60, atMost(4))`, since two spreads
 * of `extensions` would keep only the last.
 */
export const cacheFor = (seconds: number, also?: { extensions: Record<string, unknown> }) => ({
  extensions: { ...also?.extensions, cacheFor: seconds as CacheHint },
});

/** `extensions` of a type (or field) that is part of the object above it: as fresh as that. */
export const cacheWithParent = (also?: { extensions: Record<string, unknown> }) => ({
  extensions: { ...also?.extensions, cacheFor: 'parent' as CacheHint },
});

/**
 * Types declared elsewhere than in a schema file: Relay's PageInfo is built by the relay
 * plugin from the options in builder.ts; it holds the cursors of its connection.
 */
const WITH_PARENT = new Set(['PageInfo']);

/** The hint declared on a type or field, if any. */
export function declaredHint(item: { name: string; extensions?: unknown }): CacheHint | undefined {
  const hint = (item.extensions as { cacheFor?: unknown } | null | undefined)?.cacheFor;
  if (typeof hint === 'number' && Number.isFinite(hint) && hint >= 0) return hint;
  if (hint === 'parent') return 'parent';
  return WITH_PARENT.has(item.name) ? 'parent' : undefined;
}

/** The hint of a type: its own, or for an abstract type the shortest of its possible types'. */
function typeHint(schema: GraphQLSchema, type: GraphQLNamedType): CacheHint | undefined {
  const own = declaredHint(type);
  if (own !== undefined || !isAbstractType(type)) return own;
  let shortest: number | undefined;
  for (const possible of schema.getPossibleTypes(type)) {
    const hint = declaredHint(possible);
    if (typeof hint !== 'number') return undefined;
    shortest = Math.min(shortest ?? hint, hint);
  }
  return shortest;
}

/**
 * Seconds the response to this operation stays fresh: the shortest over the fields it selects
 * (fragments included, @skip and @include ignored: a bound); 0 means never cache it.
 */
export function maxAgeOf(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): number {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  if (operation?.operation !== 'query') return 0;
  const root = schema.getQueryType();
  if (!root) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

  const walk = (
    set: SelectionSetNode,
    parent: GraphQLNamedType,
    parentAge: number,
    atRoot: boolean,
    seen: Set<string>,
  ) => {
    let age = Number.POSITIVE_INFINITY;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__typename') continue;
        // Introspection (__schema, __type) is not worth caching; an unknown field fails validation.
        const field: GraphQLField<unknown, unknown> | undefined =
          (isObjectType(parent) || isInterfaceType(parent)) && !name.startsWith('__')
            ? parent.getFields()[name]
            : undefined;
        if (!field) return 0;
        const type = getNamedType(field.type);
        const hint = declaredHint(field) ?? (isCompositeType(type) ? typeHint(schema, type) : undefined);
        const fieldAge =
          typeof hint === 'number'
            ? hint
            : hint === 'parent' || (hint === undefined && isLeafType(type) && !atRoot)
              ? parentAge
              : 0;
        age = Math.min(age, fieldAge);
        if (selection.selectionSet) age = Math.min(age, walk(selection.selectionSet, type, fieldAge, false, seen));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (!type) return 0;
        age = Math.min(age, walk(selection.selectionSet, type, parentAge, atRoot, seen));
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        if (!fragment || !type || seen.has(name)) return 0;
        age = Math.min(age, walk(fragment.selectionSet, type, parentAge, atRoot, new Set([...seen, name])));
      }
      if (age === 0) return 0;
    }
    return age;
  };
  const age = walk(operation.selectionSet, root, Number.POSITIVE_INFINITY, true, new Set());
  // Only __typename: nothing was declared.
  return Number.isFinite(age) ? age : 0;
}

const ages = new WeakMap<DocumentNode, Map<string, number>>();

/** maxAgeOf, remembered per document (documents are reused: parsed once, or persisted). */
export function cachedMaxAgeOf(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): number {
  let byName = ages.get(document);
  if (!byName) {
    byName = new Map();
    ages.set(document, byName);
  }
  const key = operationName ?? '';
  let age = byName.get(key);
  if (age === undefined) {
    age = maxAgeOf(schema, document, operationName);
    byName.set(key, age);
  }
  return age;
}
