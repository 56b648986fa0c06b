import { createContextCache } from '@pothos/core';
import DataLoader from 'dataloader';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { findAuthorsOfPapers, type PaperAuthorRow } from '../db/queries/authors.ts';
import {
  countFacets,
  FACET_SAMPLE_SIZE,
  type Facets,
  findPaperByArxivId,
  findPaperLongTexts,
  findPapersByArxivIds,
  findPapersByIds,
  findSimilarPapers,
  findTrendingScores,
  type PaperFilter,
  type Paper as PaperRow,
  type PaperScope,
  type PaperTexts,
} from '../db/queries/papers.ts';
import { findTopicsOfPapers, type PaperTopicRow } from '../db/queries/topics.ts';
import { badUserInput, notFound } from '../errors.ts';
import { groupBy } from '../util/group-by.ts';
import { Author } from './author.ts';
import { parseGlobalId } from './global-id.ts';
import { Organization } from './organization.ts';
import {
  checkSize,
  loadPaperConnections,
  loadPaperCounts,
  MAX_PAGE_SIZE,
  type PaperConnectionShape,
  type PaperListArgs,
  paperListArgs,
} from './paper-connection.ts';
import { Topic } from './topic.ts';

/** Per request: the long texts of listed papers (lists leave them out), one statement per batch. */
const longTextLoader = createContextCache(
  (ctx: Context) =>
    new DataLoader<number, PaperTexts>(async (ids) => {
      const byId = new Map((await findPaperLongTexts(ctx.db, ids)).map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? new Error(`Paper ${id} is gone.`));
    }),
);
const longTexts = (ctx: Context, paper: PaperRow) => longTextLoader(ctx).load(paper.id);

/** The topics of many papers in one statement: one list per paper id, best score first. */
async function loadTopicsOfPapers(paperIds: readonly number[], ctx: Context): Promise<PaperTopicRow[][]> {
  const rows = await findTopicsOfPapers(ctx.db, paperIds);
  const byPaper = groupBy(rows, (row) => row.paper_id);
  return paperIds.map((id) => byPaper.get(id) ?? []);
}

/** The author lists of many papers in one statement: one list per paper id, in order. */
async function loadAuthorsOfPapers(paperIds: readonly number[], ctx: Context): Promise<PaperAuthorRow[][]> {
  const byPaper = groupBy(await findAuthorsOfPapers(ctx.db, paperIds), (row) => row.paper_id);
  return paperIds.map((id) => byPaper.get(id) ?? []);
}

export const PaperAuthor = builder.objectRef<PaperAuthorRow>('PaperAuthor').implement({
  description: 'An author in the author list of a paper.',
  fields: (t) => ({
    name: t.exposeString('name', { nullable: false, description: 'The author’s name.' }),
    position: t.exposeInt('position', { nullable: false, description: 'The place in the author list, from 1.' }),
    hidden: t.exposeBoolean('hidden', {
      nullable: false,
      description: 'Whether the author chose to hide from the paper’s page on Hugging Face (the name is still known).',
    }),
    author: t.field({
      type: Author,
      nullable: false,
      description: 'The author, with their other papers.',
      resolve: (row) => ({ id: row.author_id, name: row.name }),
    }),
  }),
});

export const Paper = builder.loadableNodeRef<PaperRow, number>('Paper', {
  id: { resolve: (paper) => paper.id, parse: (id) => Number(id) },
  load: (ids: number[], ctx: Context) => findPapersByIds(ctx.db, ids),
  sort: (paper) => paper.id,
});

export const TopicScore = builder.objectRef<PaperTopicRow>('TopicScore').implement({
  description: "A topic of a paper with the tagger's confidence that the paper belongs to it.",
  fields: (t) => ({
    topic: t.field({ type: Topic, nullable: false, description: 'The topic.', resolve: (row) => row }),
    score: t.exposeFloat('score', {
      nullable: false,
      description: 'How strongly the paper belongs to the topic, from 0 (exclusive) to 1; higher is more relevant.',
    }),
  }),
});

Paper.implement({
  description: 'A research paper as listed on Daily Papers: its text, dates, votes, links, organization and topics.',
  fields: (t) => ({
    arxivId: t.exposeString('arxiv_id', {
      nullable: true,
      description: 'The arXiv identifier (e.g. `2406.02214`); null for papers imported without one.',
    }),
    title: t.exposeString('title', { nullable: false, description: 'The title.' }),
    abstract: t.string({
      nullable: false,
      description: 'The abstract, whitespace collapsed; empty when unknown.',
      resolve: async (paper, _args, ctx) => paper.abstract ?? (await longTexts(ctx, paper)).abstract,
    }),
    authorsCount: t.exposeInt('authors_count', {
      nullable: true,
      description: 'How many authors the paper has; null when the source did not say.',
    }),
    publishedAt: t.expose('published_at', {
      type: 'Date',
      nullable: true,
      description: 'The day the paper was published (on arXiv); null when unknown.',
    }),
    featuredOn: t.expose('featured_on', {
      type: 'Date',
      nullable: true,
      description: 'The Daily Papers day the paper was featured on; null when unknown or never featured.',
    }),
    upvotes: t.exposeInt('upvotes', { nullable: false, description: 'Upvotes on Daily Papers (0 or more).' }),
    githubUrl: t.exposeString('github_url', {
      nullable: true,
      description: 'The GitHub repository of the paper’s code, if any.',
    }),
    projectUrl: t.exposeString('project_url', {
      nullable: true,
      description: 'The project page of the paper, if any.',
    }),
    authors: t.loadableList({
      type: PaperAuthor,
      nullable: false,
      description:
        'The authors in order, hidden ones included and marked. Empty when the source gave no names (see `authorsCount`).',
      load: loadAuthorsOfPapers,
      resolve: (paper) => paper.id,
    }),
    commentsCount: t.exposeInt('comments_count', {
      nullable: false,
      description: 'Comments on the paper’s Daily Papers page.',
    }),
    githubStars: t.exposeInt('github_stars', {
      nullable: true,
      description: 'Stars of the GitHub repository, when known.',
    }),
    keywords: t.stringList({
      nullable: false,
      description: 'Keywords extracted by the Daily Papers AI; empty when none.',
      resolve: async (paper, _args, ctx) => paper.keywords ?? (await longTexts(ctx, paper)).keywords,
    }),
    aiSummary: t.string({
      nullable: true,
      description: 'A one-sentence summary written by the Daily Papers AI, when there is one.',
      resolve: async (paper, _args, ctx) =>
        paper.ai_summary !== undefined ? paper.ai_summary : (await longTexts(ctx, paper)).ai_summary,
    }),
    organization: t.field({
      type: Organization,
      nullable: true,
      description: 'The organization that submitted or claims the paper, if known.',
      resolve: (paper) => paper.organization_id,
    }),
    topics: t.loadableList({
      type: Topic,
      nullable: false,
      description: 'The topics of the paper, most relevant first (see `topicScores` for the scores).',
      load: loadTopicsOfPapers,
      resolve: (paper) => paper.id,
    }),
    topicScores: t.loadableList({
      type: TopicScore,
      nullable: false,
      description: 'The topics of the paper with their scores, most relevant first.',
      load: loadTopicsOfPapers,
      resolve: (paper) => paper.id,
    }),
    trendingScore: t.loadable({
      type: 'Float',
      nullable: false,
      description:
        'How much the paper is trending today: (upvotes + GitHub stars / 100 + 1) / (days since it was featured, else published, + 2)^1.5. Order lists by it with `orderBy: { field: TRENDING }`.',
      load: (ids: number[], ctx: Context) => findTrendingScores(ctx.db, ids),
      resolve: (paper) => paper.id,
    }),
    similar: t.loadableList({
      type: Paper,
      nullable: false,
      description:
        'The papers most like this one, best first: sharing its topics and the words of its title, among the papers of its topics published around the same time.',
      args: { first: t.arg.int({ defaultValue: 5, description: 'At most this many (1 to 100).' }) },
      byPath: true,
      load: async (ids: number[], ctx: Context, args) => {
        checkSize(args.first, 'first');
        const byPaper = groupBy(await findSimilarPapers(ctx.db, ids, args.first ?? 5), (row) => row.source_id);
        return ids.map((id) => (byPaper.get(id) ?? []).map(({ source_id: _s, ...paper }) => paper));
      },
      resolve: (paper) => paper.id,
    }),
    createdAt: t.expose('created_at', {
      type: 'DateTime',
      nullable: false,
      description: 'When the paper was added to papergraph.',
    }),
    updatedAt: t.expose('updated_at', {
      type: 'DateTime',
      nullable: false,
      description: 'When the paper last changed in papergraph.',
    }),
  }),
});

export const TopicCount = builder.objectRef<{ topic_id: number; count: number }>('TopicCount').implement({
  description: 'How many papers of a list have a topic.',
  fields: (t) => ({
    topic: t.field({ type: Topic, nullable: false, description: 'The topic.', resolve: (c) => c.topic_id }),
    count: t.exposeInt('count', { nullable: false, description: 'Papers of the list with it.' }),
  }),
});

const OrganizationCount = builder.objectRef<{ organization_id: number; count: number }>('OrganizationCount').implement({
  description: 'How many papers of a list an organization has.',
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
  fields: (t) => ({
    year: t.exposeInt('year', { nullable: false, description: 'The year.' }),
    count: t.exposeInt('count', { nullable: false, description: 'Papers of the list published then.' }),
  }),
});

const PaperFacets = builder.objectRef<Facets>('PaperFacets').implement({
  description: 'Counts over a whole filtered list of papers, for faceted navigation (like OpenAlex group_by).',
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

export const PaperConnection = builder.connectionObject(
  {
    type: Paper,
    name: 'PaperConnection',
    description: 'A page of papers, with cursors to walk the rest of the list.',
    fields: (t) => ({
      totalCount: t.loadable({
        type: 'Int',
        nullable: false,
        description: 'The number of papers in the whole list (every page), with the filter applied.',
        byPath: true,
        load: (keys: string[], ctx: Context) => loadPaperCounts(ctx, keys),
        resolve: (connection) => (connection as unknown as PaperConnectionShape).countKey,
      }),
      facets: t.field({
        type: PaperFacets,
        nullable: false,
        description: 'Counts over the whole list (every page, filter applied) by topic, organization and year.',
        args: {
          limit: t.arg.int({ defaultValue: 10, description: 'At most this many entries of each facet (1 to 100).' }),
        },
        resolve: (connection, { limit }, ctx) => {
          checkSize(limit, 'limit');
          const [scope, parentId, filterKey] = JSON.parse((connection as unknown as PaperConnectionShape).countKey) as [
            PaperScope,
            number | null,
            string,
          ];
          return countFacets(ctx.db, scope, parentId, JSON.parse(filterKey) as PaperFilter, limit ?? 10);
        },
      }),
    }),
  },
  { name: 'PaperEdge', description: 'A paper in a list, with the cursor of its position.' },
);

builder.queryFields((t) => ({
  paper: t.field({
    type: Paper,
    nullable: true,
    description:
      'A paper by its global `id` or by its `arxivId` (give exactly one). An unknown one gives null and a NOT_FOUND error.',
    args: {
      id: t.arg.id({ description: 'The global ID of the paper.' }),
      arxivId: t.arg.string({ description: 'The arXiv identifier, e.g. `2406.02214`.' }),
    },
    resolve: async (_root, args, ctx) => {
      if ((args.id == null) === (args.arxivId == null)) {
        throw badUserInput('Give exactly one of `id` or `arxivId`.', args.id == null ? 'id' : 'arxivId');
      }
      const paper =
        args.id != null
          ? await Paper.getDataloader(ctx).load(parseGlobalId(String(args.id), 'Paper'))
          : await findPaperByArxivId(ctx.db, String(args.arxivId));
      if (!paper) throw notFound(`No paper has ${args.id != null ? `id "${args.id}"` : `arXiv id "${args.arxivId}"`}.`);
      return paper;
    },
  }),
  papersByArxivIds: t.field({
    type: [Paper],
    nullable: { list: false, items: true },
    description: 'Papers by arXiv id, in the order given, with null for each id no paper has (at most 100 ids).',
    args: { arxivIds: t.arg.stringList({ required: true, description: 'arXiv identifiers, e.g. `2406.02214`.' }) },
    resolve: async (_root, { arxivIds }, ctx) => {
      if (arxivIds.length > MAX_PAGE_SIZE) {
        throw badUserInput(`\`arxivIds\` takes at most ${MAX_PAGE_SIZE} ids, got ${arxivIds.length}.`, 'arxivIds');
      }
      const found = new Map((await findPapersByArxivIds(ctx.db, arxivIds)).map((p) => [p.arxiv_id, p]));
      return arxivIds.map((id) => found.get(id) ?? null);
    },
  }),
  papers: t.field({
    type: PaperConnection,
    nullable: false,
    description: 'All papers, filtered and sorted, a page at a time (Relay cursor connection).',
    args: paperListArgs,
    resolve: async (_root, args, ctx) => {
      const [connection] = await loadPaperConnections(ctx, 'all', [null], args as PaperListArgs);
      return connection as PaperConnectionShape & { edges: { node: PaperRow; cursor: string }[] };
    },
  }),
}));
