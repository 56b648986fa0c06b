// A page of papers as the API serves it (a Relay connection with counts and facets over the
// whole list), and the `papers` field that topics, authors and organizations share. The
// arguments are paper-list-args.ts; the SQL, db/queries/paper-lists.ts.
import type { ObjectRef } from '@pothos/core';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { countFacets, FACET_SAMPLE_SIZE, type Facets } from '../db/queries/paper-facets.ts';
import { countPapers, findPaperPages, type PaperFilter, type PaperScope } from '../db/queries/paper-lists.ts';
import type { ListedPaper } from '../db/queries/papers.ts';
import { groupBy } from '../util/group-by.ts';
import { cacheFor, cacheWithParent } from './cache-hints.ts';
import { cost } from './costs.ts';
import { Organization } from './organization.ts';
import { assertPageSize } from './pagination.ts';
import { Paper } from './paper.ts';
import {
  encodePaperCursor,
  type PaperListArgs,
  type ParsedListArgs,
  paperListArgs,
  parseListArgs,
} from './paper-list-args.ts';
import { TopicCount } from './topic.ts';

/** Which list a connection is: the key its count and facets are loaded by. */
export interface PaperListKey {
  scope: PaperScope;
  parentId: number | null;
  filter: PaperFilter;
}

/** The same list gives the same string (filters are built field by field in a fixed order). */
const listKeyString = (key: PaperListKey) => JSON.stringify([key.scope, key.parentId, key.filter]);

interface PaperEdgeShape {
  cursor: string;
  node: ListedPaper;
}

/** What a paper connection resolves to: a page, and the key of its whole list. */
export interface PaperConnectionShape {
  edges: PaperEdgeShape[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  listKey: PaperListKey;
}

/** Turns fetched rows (one more than the page) into a connection. */
function toConnection(rows: ListedPaper[], parsed: ParsedListArgs, listKey: PaperListKey): PaperConnectionShape {
  const { page, size } = parsed;
  const more = rows.length > size;
  const nodes = rows.slice(0, size);
  if (page.inverted) nodes.reverse();
  const cursorOf = (node: ListedPaper) => encodePaperCursor(page.order.field, node);
  // Encoded when asked for: a list read through `nodes` needs none.
  const edges = nodes.map((node) => ({
    node,
    get cursor() {
      return cursorOf(node);
    },
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.inverted ? page.before !== undefined : more,
      hasPreviousPage: page.inverted ? more : page.after !== undefined,
      get startCursor() {
        const first = nodes[0];
        return first ? cursorOf(first) : null;
      },
      get endCursor() {
        const last = nodes.at(-1);
        return last ? cursorOf(last) : null;
      },
    },
    listKey,
  };
}

/**
 * One connection per parent, from one statement. Callers at the same query path share the
 * arguments (Pothos' byPath loaders), so the pages of all parents are fetched together.
 */
export async function loadPaperConnections(
  ctx: Context,
  scope: PaperScope,
  parentIds: readonly (number | null)[],
  args: PaperListArgs,
): Promise<PaperConnectionShape[]> {
  const parsed = await parseListArgs(ctx, args);
  const pages = await findPaperPages(ctx.db, scope, parentIds, parsed.filter, parsed.page);
  return pages.map((rows, i) =>
    toConnection(rows, parsed, { scope, parentId: parentIds[i] ?? null, filter: parsed.filter }),
  );
}

/**
 * Runs `load` once per group of keys that share a scope and filter (the keys of one query
 * path usually all do), and answers in key order.
 */
async function byList<T>(
  keys: readonly PaperListKey[],
  load: (scope: PaperScope, parentIds: (number | null)[], filter: PaperFilter) => Promise<T[]>,
): Promise<T[]> {
  const groups = groupBy(keys, (k) => JSON.stringify([k.scope, k.filter]));
  const results = new Map<PaperListKey, T>();
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const [first] = group;
      if (!first) return;
      const values = await load(
        first.scope,
        group.map((k) => k.parentId),
        first.filter,
      );
      group.forEach((k, i) => {
        const value = values[i];
        if (value !== undefined) results.set(k, value);
      });
    }),
  );
  return keys.map((k) => {
    const value = results.get(k);
    if (value === undefined) throw new Error('a list key was not loaded');
    return value;
  });
}

const OrganizationCount = builder.objectRef<{ organization_id: number; count: number }>('OrganizationCount').implement({
  description: 'How many papers of a list an organization has.',
  ...cacheWithParent(),
  fields: (t) => ({
    organization: t.field({
      type: Organization,
      nullable: false,
      description: 'The organization.',
      resolve: (c) => c.organization_id,
    }),
    count: t.exposeInt('count', { nullable: false, description: 'Papers of the list by it.' }),
  }),
});

const YearCount = builder.objectRef<{ year: number; count: number }>('YearCount').implement({
  description: 'How many papers of a list were published in a year.',
  ...cacheWithParent(),
  fields: (t) => ({
    year: t.exposeInt('year', { nullable: false, description: 'The year.' }),
    count: t.exposeInt('count', { nullable: false, description: 'Papers of the list published then.' }),
  }),
});

const PaperFacets = builder.objectRef<Facets>('PaperFacets').implement({
  description: 'Counts over a whole filtered list of papers, for faceted navigation (like OpenAlex group_by).',
  ...cacheWithParent(),
  fields: (t) => ({
    topics: t.field({
      type: [TopicCount],
      nullable: false,
      description: 'Most common topics first.',
      resolve: (f) => f.topics,
    }),
    organizations: t.field({
      type: [OrganizationCount],
      nullable: false,
      description: 'Organizations with the most papers first.',
      resolve: (f) => f.organizations,
    }),
    years: t.field({
      type: [YearCount],
      nullable: false,
      description: 'Publication years, newest first.',
      resolve: (f) => f.years,
    }),
    approximate: t.boolean({
      nullable: false,
      description: `Whether the counts are estimates. In a topic of more than ${FACET_SAMPLE_SIZE.toLocaleString('en')} papers (children included) they are counted on a pseudo-random 1-in-k sample of its papers, k chosen to keep about ${FACET_SAMPLE_SIZE.toLocaleString('en')}, and multiplied by k; elsewhere they are exact.`,
      resolve: (f) => f.sampleEvery > 1,
    }),
  }),
});

const PaperEdge = builder.objectRef<PaperEdgeShape>('PaperEdge').implement({
  description: 'A paper in a list, with the cursor of its position.',
  ...cacheWithParent(),
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      nullable: false,
      description: 'An opaque cursor for this position: pass it as `after` or `before`.',
    }),
    node: t.field({
      type: Paper,
      nullable: false,
      description: 'The object at this position.',
      resolve: (e) => e.node,
    }),
  }),
});

export const PaperConnection = builder.objectRef<PaperConnectionShape>('PaperConnection').implement({
  description: 'A page of papers, with cursors to walk the rest of the list.',
  ...cacheFor(60),
  fields: (t) => ({
    edges: t.field({
      type: [PaperEdge],
      nullable: false,
      description: 'The objects of this page with their cursors, in order.',
      resolve: (c) => c.edges,
    }),
    nodes: t.field({
      type: [Paper],
      nullable: false,
      description: 'The objects of this page, in order: a shortcut for `edges { node }`.',
      resolve: (c) => c.edges.map((e) => e.node),
    }),
    pageInfo: t.field({
      type: builder.pageInfoRef(),
      nullable: false,
      description: 'Where this page sits in the whole list.',
      resolve: (c) => c.pageInfo,
    }),
    totalCount: t.loadable({
      type: 'Int',
      nullable: false,
      description: 'The number of papers in the whole list (every page), with the filter applied.',
      loaderOptions: { cacheKeyFn: listKeyString },
      load: (keys: PaperListKey[], ctx: Context) => byList(keys, (...list) => countPapers(ctx.db, ...list)),
      resolve: (c) => c.listKey,
    }),
    facets: t.loadable({
      type: PaperFacets,
      nullable: false,
      description: 'Counts over the whole list (every page, filter applied) by topic, organization and year.',
      args: {
        limit: t.arg.int({ defaultValue: 10, description: 'At most this many entries of each facet (1 to 100).' }),
      },
      byPath: true,
      ...cost({ childLists: (args) => (typeof args.limit === 'number' ? args.limit : 10) }),
      loaderOptions: { cacheKeyFn: listKeyString },
      load: (keys: PaperListKey[], ctx: Context, { limit }) => {
        assertPageSize(limit, 'limit');
        return byList(keys, (scope, ids, filter) => countFacets(ctx.db, scope, ids, filter, limit ?? 10));
      },
      resolve: (c) => c.listKey,
    }),
  }),
});

/**
 * The `papers` field of a topic, an author or an organization: its papers, a page at a time,
 * for every parent of a query path in one statement.
 */
export function paperConnectionField<Shape extends { id: number }>(
  ref: ObjectRef<typeof builder.$inferSchemaTypes, Shape | number, Shape>,
  scope: Exclude<PaperScope, 'all'>,
  description: string,
): void {
  builder.objectField(ref, 'papers', (t) =>
    t.loadable({
      type: PaperConnection,
      nullable: false,
      description,
      args: paperListArgs,
      byPath: true,
      load: (ids: number[], ctx: Context, args) => loadPaperConnections(ctx, scope, ids, args),
      resolve: (parent) => parent.id,
    }),
  );
}
