import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { countSearch, type SearchHit, type SearchMode, searchPapers } from '../db/queries/search.ts';
import { TEXT_LIMITS, textProblem } from '../paper-values.ts';
import { selectsField } from '../util/selects-field.ts';
import { cacheFor, cacheWithParent } from './cache-hints.ts';
import { badUserInput } from './graphql-errors.ts';
import { assertPageSize, decodeCursor, encodeCursor, isInt32, isScore, PAGE_SIZE } from './pagination.ts';
import { Paper } from './paper.ts';
import { PaperFilterInput, resolveFilter } from './paper-list-args.ts';

interface SearchEdgeShape extends SearchHit {
  cursor: string;
}

interface SearchConnectionShape {
  edges: SearchEdgeShape[];
  mode: SearchMode;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  count: () => Promise<number>;
}

const SearchModeEnum = builder.enumType('SearchMode', {
  description: 'How a search matched papers.',
  values: {
    FULL_TEXT: { value: 'fulltext', description: 'The words of the query, in titles (weighted more) and abstracts.' },
    SIMILAR_TITLE: {
      value: 'similarity',
      description:
        'Titles similar to the query (trigrams), used when the full text matches nothing: forgives misspellings.',
    },
  } as const,
});

const SearchEdge = builder.objectRef<SearchEdgeShape>('SearchEdge').implement({
  description: 'A paper found by a search, with its rank and a highlighted snippet.',
  ...cacheWithParent(),
  fields: (t) => ({
    cursor: t.exposeString('cursor', { nullable: false, description: 'Pass as `after` for the next page.' }),
    node: t.field({ type: Paper, nullable: false, description: 'The paper.', resolve: (e) => e.paper }),
    rank: t.exposeFloat('rank', {
      nullable: false,
      description: 'How well the paper matches (higher is better; comparable within one search only).',
    }),
    highlight: t.exposeString('highlight', {
      nullable: true,
      description: 'A short snippet of the abstract with the matched words in <mark>…</mark>; null for SIMILAR_TITLE.',
    }),
  }),
});

const SearchPageInfo = builder.objectRef<SearchConnectionShape['pageInfo']>('SearchPageInfo').implement({
  description: 'Where a page of search results sits.',
  ...cacheWithParent(),
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage', { nullable: false, description: 'Whether more results follow.' }),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage', { nullable: false, description: 'Whether results precede.' }),
    startCursor: t.exposeString('startCursor', { nullable: true, description: 'The first result’s cursor.' }),
    endCursor: t.exposeString('endCursor', {
      nullable: true,
      description: 'The last result’s cursor: pass as `after`.',
    }),
  }),
});

const SearchConnection = builder.objectRef<SearchConnectionShape>('SearchConnection').implement({
  description: 'A page of search results, best first.',
  ...cacheFor(60),
  fields: (t) => ({
    edges: t.field({
      type: [SearchEdge],
      nullable: false,
      description: 'The results with their rank.',
      resolve: (c) => c.edges,
    }),
    nodes: t.field({
      type: [Paper],
      nullable: false,
      description: 'The papers of this page.',
      resolve: (c) => c.edges.map((e) => e.paper),
    }),
    pageInfo: t.field({ type: SearchPageInfo, nullable: false, description: 'Paging.', resolve: (c) => c.pageInfo }),
    mode: t.field({
      type: SearchModeEnum,
      nullable: false,
      description: 'How the papers matched.',
      resolve: (c) => c.mode,
    }),
    totalCount: t.int({
      nullable: false,
      description: 'How many papers match (all pages).',
      resolve: (c) => c.count(),
    }),
  }),
});

const encode = (mode: SearchMode, hit: SearchHit) => encodeCursor([mode, hit.rank, hit.paper.id]);

function decode(cursor: string): { mode: SearchMode; rank: number; id: number } {
  const [mode, rank, id] = decodeCursor(
    cursor,
    'after',
    (v): v is [SearchMode, number, number] =>
      v.length === 3 && (v[0] === 'fulltext' || v[0] === 'similarity') && isScore(v[1]) && isInt32(v[2]),
  );
  return { mode, rank, id };
}

builder.queryField('search', (t) =>
  t.field({
    type: SearchConnection,
    nullable: false,
    description:
      'Papers matching a web-search style query ("quoted phrase", -excluded, or), best first: the title weighs more than the abstract. When nothing matches, papers with a similar title (misspellings forgiven). Pages forward with first/after.',
    args: {
      query: t.arg.string({
        required: true,
        description: `What to look for, e.g. \`"knowledge distillation" -survey\` (at most ${TEXT_LIMITS.searchQuery} bytes).`,
      }),
      first: t.arg.int({
        description: `Return the first N results (1 to ${PAGE_SIZE.max}; ${PAGE_SIZE.default} by default).`,
      }),
      after: t.arg.string({ description: 'Return results after this cursor.' }),
      filter: t.arg({ type: PaperFilterInput, description: 'Only papers that also meet these conditions.' }),
    },
    resolve: async (_root, args, ctx: Context, info) => {
      assertPageSize(args.first, 'first');
      const text = args.query.trim();
      const problem = text === '' ? 'must not be empty' : textProblem(text, 'searchQuery');
      if (problem) throw badUserInput(`\`query\` ${problem}.`, 'query');
      const size = args.first ?? PAGE_SIZE.default;
      const filter = await resolveFilter(ctx, args.filter ?? undefined);
      const after = args.after != null ? decode(args.after) : undefined;
      let mode: SearchMode = after?.mode ?? 'fulltext';
      // ts_headline re-parses each abstract: only when someone asked for highlights.
      const highlight = selectsField(info, 'highlight');
      let hits = await searchPapers(ctx.db, text, filter, { mode, after, limit: size + 1, highlight });
      if (hits.length === 0 && !after) {
        mode = 'similarity';
        hits = await searchPapers(ctx.db, text, filter, { mode, limit: size + 1, highlight });
      }
      const edges = hits.slice(0, size).map((hit) => ({ ...hit, cursor: encode(mode, hit) }));
      return {
        edges,
        mode,
        pageInfo: {
          hasNextPage: hits.length > size,
          hasPreviousPage: after !== undefined,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
        count: () => countSearch(ctx.db, text, filter, mode),
      };
    },
  }),
);
