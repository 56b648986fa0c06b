import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { findAuthorsOfPapers, type PaperAuthorRow } from '../db/queries/authors.ts';
import { findPapersByArxivIds, findPapersByIds, type ListedPaper } from '../db/queries/papers.ts';
import { findSimilarPapers } from '../db/queries/similar-papers.ts';
import type { PaperTopicRow } from '../db/queries/topics.ts';
import { findTrendingScores } from '../db/queries/trending.ts';
import { cleanArxivId, LIST_LIMITS, ValueProblem } from '../paper-values.ts';
import { groupBy } from '../util/group-by.ts';
import { Author } from './author.ts';
import { cacheFor, cacheWithParent } from './cache-hints.ts';
import { atMost, cost, firstArg, oneEach } from './costs.ts';
import { parseGlobalId } from './global-id.ts';
import { badUserInput, notFound } from './graphql-errors.ts';
import { longTexts, topicsOfPapers } from './loaders.ts';
import { Organization } from './organization.ts';
import { assertPageSize, PAGE_SIZE } from './pagination.ts';
import { loadPaperConnections, PaperConnection } from './paper-connection.ts';
import { paperListArgs } from './paper-list-args.ts';
import { Topic } from './topic.ts';

/** Authors of a paper listed unless `first` asks for more (41 of 7,876 real papers have more). */
const AUTHORS_PAGE = 100;

export const PaperAuthor = builder.objectRef<PaperAuthorRow>('PaperAuthor').implement({
  description: 'An author in the author list of a paper.',
  ...cacheWithParent(),
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

export const Paper = builder.loadableNodeRef<ListedPaper, number>('Paper', {
  id: { resolve: (paper) => paper.id, parse: (id) => Number(id) },
  load: (ids: number[], ctx: Context) => findPapersByIds(ctx.db, ids),
  sort: (paper) => paper.id,
});

export const TopicScore = builder.objectRef<PaperTopicRow>('TopicScore').implement({
  description: "A topic of a paper with the tagger's confidence that the paper belongs to it.",
  ...cacheWithParent(),
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
  ...cacheFor(300),
  fields: (t) => ({
    arxivId: t.exposeString('arxiv_id', {
      nullable: true,
      description: 'The arXiv identifier, without version (e.g. `2406.02214`); null for papers imported without one.',
    }),
    title: t.exposeString('title', { nullable: false, description: 'The title.' }),
    abstract: t.string({
      nullable: false,
      description: 'The abstract, whitespace collapsed; empty when unknown.',
      ...cost({ weight: 5 }),
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
    upvotes: t.exposeInt('upvotes', {
      nullable: false,
      description: 'Upvotes on Daily Papers (0 or more).',
      ...cacheFor(60),
    }),
    githubUrl: t.exposeString('github_url', {
      nullable: true,
      description: 'The GitHub repository of the paper’s code, if any.',
    }),
    projectUrl: t.exposeString('project_url', {
      nullable: true,
      description: 'The project page of the paper, if any.',
    }),
    authors: t.loadableGroup({
      type: PaperAuthor,
      nullable: false,
      description: `The first authors in order (\`first\`, ${AUTHORS_PAGE} unless given), hidden ones included and marked. Empty when the source gave no names; \`authorsCount\` says how many there are.`,
      args: {
        first: t.arg.int({
          defaultValue: AUTHORS_PAGE,
          description: `At most this many (1 to ${LIST_LIMITS.authors.toLocaleString('en')}).`,
        }),
      },
      byPath: true,
      ...firstArg(AUTHORS_PAGE),
      load: (ids: number[], ctx: Context, args) => {
        if (args.first != null && (args.first < 1 || args.first > LIST_LIMITS.authors)) {
          throw badUserInput(`\`first\` must be between 1 and ${LIST_LIMITS.authors}, got ${args.first}.`, 'first');
        }
        return findAuthorsOfPapers(ctx.db, ids, args.first ?? AUTHORS_PAGE);
      },
      group: (row) => row.paper_id,
      resolve: (paper) => paper.id,
    }),
    commentsCount: t.exposeInt('comments_count', {
      nullable: false,
      description: 'Comments on the paper’s Daily Papers page.',
      ...cacheFor(60),
    }),
    githubStars: t.exposeInt('github_stars', {
      nullable: true,
      description: 'Stars of the GitHub repository, when known.',
    }),
    keywords: t.stringList({
      nullable: false,
      description: 'Keywords extracted by the Daily Papers AI; empty when none.',
      ...cost({ weight: 5 }),
      resolve: async (paper, _args, ctx) => paper.keywords ?? (await longTexts(ctx, paper)).keywords,
    }),
    aiSummary: t.string({
      nullable: true,
      description: 'A one-sentence summary written by the Daily Papers AI, when there is one.',
      ...cost({ weight: 2 }),
      resolve: async (paper, _args, ctx) =>
        paper.ai_summary !== undefined ? paper.ai_summary : (await longTexts(ctx, paper)).ai_summary,
    }),
    organization: t.field({
      type: Organization,
      nullable: true,
      description: 'The organization that submitted or claims the paper, if known.',
      resolve: (paper) => paper.organization_id,
    }),
    topics: t.field({
      type: [Topic],
      nullable: false,
      description: 'The topics of the paper, most relevant first (see `topicScores` for the scores).',
      ...atMost(LIST_LIMITS.topicsPerPaper),
      resolve: (paper, _args, ctx) => topicsOfPapers(ctx).load(paper.id),
    }),
    topicScores: t.field({
      type: [TopicScore],
      nullable: false,
      description: 'The topics of the paper with their scores, most relevant first.',
      ...atMost(LIST_LIMITS.topicsPerPaper),
      resolve: (paper, _args, ctx) => topicsOfPapers(ctx).load(paper.id),
    }),
    trendingScore: t.loadable({
      type: 'Float',
      nullable: false,
      description:
        'How much the paper is trending today: (upvotes + GitHub stars / 100 + 1) / (days since it was featured, else published, + 2)^1.5. Order lists by it with `orderBy: { field: TRENDING }`.',
      ...cacheFor(60),
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
      ...firstArg(5),
      load: async (ids: number[], ctx: Context, args) => {
        assertPageSize(args.first, 'first');
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

/** The normalized form of an arXiv id argument; BAD_USER_INPUT naming it when it is not one. */
function arxivIdArgument(value: string, argument: string): string {
  try {
    return cleanArxivId(value);
  } catch (error) {
    if (error instanceof ValueProblem) {
      throw badUserInput(`\`${argument}\` ${error.message}, got "${value.slice(0, 40)}".`, argument);
    }
    throw error;
  }
}

builder.queryFields((t) => ({
  paper: t.field({
    type: Paper,
    nullable: true,
    description:
      'A paper by its global `id` or by its `arxivId` (give exactly one). An unknown one gives null and a NOT_FOUND error.',
    args: {
      id: t.arg.id({ description: 'The global ID of the paper.' }),
      arxivId: t.arg.string({
        description: 'The arXiv identifier, e.g. `2406.02214`; a version (`2406.02214v2`) names the same paper.',
      }),
    },
    resolve: async (_root, args, ctx) => {
      if ((args.id == null) === (args.arxivId == null)) {
        throw badUserInput('Give exactly one of `id` or `arxivId`.', args.id == null ? 'id' : 'arxivId');
      }
      const paper =
        args.id != null
          ? await Paper.getDataloader(ctx).load(parseGlobalId(String(args.id), 'Paper'))
          : (await findPapersByArxivIds(ctx.db, [arxivIdArgument(String(args.arxivId), 'arxivId')]))[0];
      if (!paper) {
        const key = args.id != null ? `id "${String(args.id).slice(0, 100)}"` : `arXiv id "${args.arxivId}"`;
        throw notFound(`No paper has ${key}.`);
      }
      return paper;
    },
  }),
  papersByArxivIds: t.field({
    type: [Paper],
    nullable: { list: false, items: true },
    description: `Papers by arXiv id, in the order given, with null for each id no paper has (at most ${PAGE_SIZE.max} ids; a version names the same paper).`,
    args: { arxivIds: t.arg.stringList({ required: true, description: 'arXiv identifiers, e.g. `2406.02214`.' }) },
    ...oneEach('arxivIds'),
    resolve: async (_root, { arxivIds }, ctx) => {
      if (arxivIds.length > PAGE_SIZE.max) {
        throw badUserInput(`\`arxivIds\` takes at most ${PAGE_SIZE.max} ids, got ${arxivIds.length}.`, 'arxivIds');
      }
      const normalized = arxivIds.map((id, i) => arxivIdArgument(id, `arxivIds[${i}]`));
      const found = new Map((await findPapersByArxivIds(ctx.db, normalized)).map((p) => [p.arxiv_id, p]));
      return normalized.map((id) => found.get(id) ?? null);
    },
  }),
  papers: t.field({
    type: PaperConnection,
    nullable: false,
    description: 'All papers, filtered and sorted, a page at a time (Relay cursor connection).',
    args: paperListArgs,
    resolve: async (_root, args, ctx) => {
      const [connection] = await loadPaperConnections(ctx, 'all', [null], args);
      if (!connection) throw new Error('the paper list gave no connection');
      return connection;
    },
  }),
}));
