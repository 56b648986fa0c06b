import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import {
  countTopicTrend,
  findAllTopics,
  findChildTopics,
  findRelatedTopics,
  findTopicsByIds,
  findTopicsBySlugs,
} from '../db/queries/topics.ts';
import type { TopicRow } from '../db/types.ts';
import { cleanDate, ValueProblem } from '../paper-values.ts';
import { cacheFor, cacheWithParent } from './cache-hints.ts';
import { cost, firstArg } from './costs.ts';
import { badUserInput, notFound } from './graphql-errors.ts';
import { areaPaperCounts } from './loaders.ts';
import { assertPageSize, PAGE_SIZE } from './pagination.ts';
import { paperConnectionField } from './paper-connection.ts';

export const Topic = builder.loadableNodeRef<TopicRow, number>('Topic', {
  id: { resolve: (topic) => topic.id, parse: (id) => Number(id) },
  load: (ids: number[], ctx: Context) => findTopicsByIds(ctx.db, ids),
  sort: (topic) => topic.id,
});

/** A topic with a number of papers; `source_id` is the topic it is related to, for relatedTopics. */
interface TopicCountShape {
  topic_id: number;
  count: number;
  source_id?: number;
}

export const TopicCount = builder.objectRef<TopicCountShape>('TopicCount').implement({
  description: 'How many papers of a list have a topic.',
  ...cacheWithParent(),
  fields: (t) => ({
    topic: t.field({ type: Topic, nullable: false, description: 'The topic.', resolve: (c) => c.topic_id }),
    count: t.exposeInt('count', { nullable: false, description: 'Papers of the list with it.' }),
  }),
});

Topic.implement({
  description:
    'A research topic. Topics form a two-level tree: areas (no parent) and their topics. Papers are tagged with topics that have no children; an area gathers the papers of its topics.',
  ...cacheFor(300),
  fields: (t) => ({
    slug: t.exposeString('slug', {
      nullable: false,
      description: 'The stable identifier clients use, e.g. `pre-training`.',
    }),
    name: t.exposeString('name', { nullable: false, description: 'The name, for people.' }),
    description: t.exposeString('description', { nullable: false, description: 'What the topic covers.' }),
    parent: t.field({
      type: Topic,
      nullable: true,
      description: 'The area this topic belongs to; null for an area.',
      resolve: (topic) => topic.parent_id,
    }),
    children: t.loadableGroup({
      type: Topic,
      nullable: false,
      description: 'The topics of this area, in taxonomy order; empty for a topic without children.',
      ...cost({ list: (_args, stats) => stats.maxChildren }),
      load: (ids: number[], ctx: Context) => findChildTopics(ctx.db, ids),
      group: (child) => (typeof child === 'number' ? 0 : (child.parent_id ?? 0)),
      resolve: (topic) => topic.id,
    }),
    paperCount: t.int({
      nullable: false,
      description: 'How many papers have this topic (for an area: any of its topics).',
      resolve: (topic, _args, ctx) =>
        topic.parent_id !== null ? topic.paper_count : areaPaperCounts(ctx).load(topic.id),
    }),
  }),
});

paperConnectionField(
  Topic,
  'topic',
  'The papers of this topic (for an area: of any of its topics), filtered and sorted, a page at a time.',
);

const TrendInterval = builder.enumType('TrendInterval', {
  description: 'The length of the periods of a trend.',
  values: {
    MONTH: { value: 'month', description: 'Calendar months.' },
    WEEK: { value: 'week', description: 'Weeks starting on Monday.' },
  } as const,
});

const TrendPoint = builder.objectRef<{ period: string; count: number }>('TrendPoint').implement({
  description: 'The papers of a topic published in one period.',
  ...cacheWithParent(),
  fields: (t) => ({
    period: t.expose('period', { type: 'Date', nullable: false, description: 'The first day of the period.' }),
    count: t.exposeInt('count', { nullable: false, description: 'Papers published in it.' }),
  }),
});

/** The longest span a trend covers. */
export const MAX_TREND_YEARS = 20;

/** The most periods a trend between these arguments lists (a bound; the arguments are checked when it runs). */
function trendPeriods(args: Record<string, unknown>): number {
  const from = Date.parse(String(args.from));
  const to = Date.parse(String(args.to));
  const days = Number.isFinite(from) && Number.isFinite(to) ? Math.max(0, (to - from) / 86_400_000) : 0;
  const span = Math.min(days, 366 * MAX_TREND_YEARS);
  return args.interval === 'week' ? Math.floor(span / 7) + 2 : Math.floor(span / 28) + 2;
}

/** A date argument within the catalogue's range, as BAD_USER_INPUT naming it. */
function dateArgument(value: string, argument: string): string {
  try {
    return cleanDate(value);
  } catch (error) {
    if (error instanceof ValueProblem) throw badUserInput(`\`${argument}\` ${error.message}.`, argument);
    throw error;
  }
}

builder.objectFields(Topic, (t) => ({
  trend: t.field({
    type: [TrendPoint],
    nullable: false,
    description: `Papers of this topic (for an area: of its topics) published per month or week, oldest first, every period listed (at most ${MAX_TREND_YEARS} years).`,
    ...cost({ list: (args) => trendPeriods(args) }),
    args: {
      from: t.arg({ type: 'Date', required: true, description: 'The first day counted.' }),
      to: t.arg({ type: 'Date', required: true, description: 'The last day counted.' }),
      interval: t.arg({ type: TrendInterval, defaultValue: 'month', description: 'MONTH unless given.' }),
    },
    resolve: (topic, args, ctx) => {
      const from = dateArgument(args.from, 'from');
      const to = dateArgument(args.to, 'to');
      if (from > to) throw badUserInput('`from` must not be after `to`.', 'from');
      const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
      if (days > 366 * MAX_TREND_YEARS) throw badUserInput(`A trend covers at most ${MAX_TREND_YEARS} years.`, 'to');
      return countTopicTrend(ctx.db, topic.id, from, to, args.interval ?? 'month');
    },
  }),
  relatedTopics: t.loadableGroup({
    type: TopicCount,
    nullable: false,
    description: 'Topics that papers of this topic also have, with how many papers share each, most first.',
    args: { first: t.arg.int({ defaultValue: 10, description: 'At most this many (1 to 100).' }) },
    byPath: true,
    ...firstArg(10),
    load: (ids: number[], ctx: Context, args) => {
      assertPageSize(args.first, 'first');
      return findRelatedTopics(ctx.db, ids, args.first ?? 10);
    },
    group: (row) => row.source_id ?? 0,
    resolve: (topic) => topic.id,
  }),
}));

builder.queryFields((t) => ({
  topic: t.field({
    type: Topic,
    nullable: true,
    description: 'A topic by its slug. An unknown slug gives null and a NOT_FOUND error.',
    args: { slug: t.arg.string({ required: true, description: 'The topic slug, e.g. `pre-training`.' }) },
    resolve: async (_root, { slug }, ctx) => {
      const [topic] = await findTopicsBySlugs(ctx.db, [slug]);
      if (!topic) throw notFound(`No topic has the slug "${slug.slice(0, 100)}"; \`topics\` lists them.`);
      return topic;
    },
  }),
  topics: t.field({
    type: [Topic],
    nullable: false,
    description: `The taxonomy in order: every area followed by its topics, only the areas with \`rootsOnly: true\` (then walk \`children\`), or the topics named in \`slugs\` (at most ${PAGE_SIZE.max}), in the order given.`,
    args: {
      rootsOnly: t.arg.boolean({
        defaultValue: false,
        description: 'Return only the areas (topics without a parent).',
      }),
      slugs: t.arg.stringList({
        required: false,
        description: `Return only these topics, in the order given (at most ${PAGE_SIZE.max}); an unknown slug is an error (BAD_USER_INPUT).`,
      }),
    },
    ...cost({
      list: (args, stats) =>
        Array.isArray(args.slugs)
          ? Math.min(args.slugs.length, stats.topics)
          : args.rootsOnly === true
            ? stats.roots
            : stats.topics,
    }),
    resolve: async (_root, { rootsOnly, slugs }, ctx) => {
      if (!slugs) return findAllTopics(ctx.db, { rootsOnly: rootsOnly ?? false });
      if (slugs.length > PAGE_SIZE.max) throw badUserInput(`\`slugs\` takes at most ${PAGE_SIZE.max} slugs.`, 'slugs');
      const bySlug = new Map((await findTopicsBySlugs(ctx.db, slugs)).map((topic) => [topic.slug, topic]));
      const unknown = slugs.filter((slug) => !bySlug.has(slug));
      if (unknown.length > 0) {
        throw badUserInput(
          `\`slugs\`: no topic has the slug ${unknown.map((s) => `"${s.slice(0, 100)}"`).join(', ')}; \`topics\` lists them.`,
          'slugs',
        );
      }
      return slugs.flatMap((slug) => {
        const topic = bySlug.get(slug);
        return topic && (!rootsOnly || topic.parent_id === null) ? [topic] : [];
      });
    },
  }),
}));
