import { createContextCache } from '@pothos/core';
import DataLoader from 'dataloader';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { countPapers } from '../db/queries/papers.ts';
import {
  countTopicTrend,
  findAllTopics,
  findChildTopics,
  findRelatedTopics,
  findTopicsByIds,
  findTopicsBySlugs,
} from '../db/queries/topics.ts';
import type { TopicRow } from '../db/types.ts';
import { badUserInput, notFound } from '../errors.ts';
import { PaperConnection, TopicCount } from './paper.ts';
import { checkSize, loadPaperConnections, type PaperListArgs, paperListArgs } from './paper-connection.ts';

const areaCounts = createContextCache(
  (ctx: Context) => new DataLoader<number, number>((ids) => countPapers(ctx.db, 'topic', ids, {})),
);

export const Topic = builder.loadableNodeRef<TopicRow, number>('Topic', {
  id: { resolve: (topic) => topic.id, parse: (id) => Number(id) },
  load: (ids: number[], ctx: Context) => findTopicsByIds(ctx.db, ids),
  sort: (topic) => topic.id,
});

Topic.implement({
  description:
    'A research topic. Topics form a two-level tree: areas (no parent) and their topics. Papers are tagged with topics that have no children; an area gathers the papers of its topics.',
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
      load: (ids: number[], ctx: Context) => findChildTopics(ctx.db, ids),
      group: (child) => (child as TopicRow).parent_id ?? 0,
      resolve: (topic) => topic.id,
    }),
    paperCount: t.int({
      nullable: false,
      description: 'How many papers have this topic (for an area: any of its topics).',
      // A topic under an area never has children (the tree has two levels): its row carries
      // the count, kept by triggers. Only areas are counted, all of a request's at once.
      resolve: (topic, _args, ctx) => (topic.parent_id !== null ? topic.paper_count : areaCounts(ctx).load(topic.id)),
    }),
    papers: t.loadable({
      type: PaperConnection,
      nullable: false,
      description:
        'The papers of this topic (for an area: of any of its topics), filtered and sorted, a page at a time.',
      args: paperListArgs,
      byPath: true,
      load: (ids: number[], ctx: Context, args) => loadPaperConnections(ctx, 'topic', ids, args as PaperListArgs),
      resolve: (topic) => topic.id,
    }),
  }),
});

const TrendInterval = builder.enumType('TrendInterval', {
  description: 'The length of the periods of a trend.',
  values: {
    MONTH: { value: 'month', description: 'Calendar months.' },
    WEEK: { value: 'week', description: 'Weeks starting on Monday.' },
  } as const,
});

const TrendPoint = builder.objectRef<{ period: string; count: number }>('TrendPoint').implement({
  description: 'The papers of a topic published in one period.',
  fields: (t) => ({
    period: t.expose('period', { type: 'Date', nullable: false, description: 'The first day of the period.' }),
    count: t.exposeInt('count', { nullable: false, description: 'Papers published in it.' }),
  }),
});

builder.objectFields(Topic, (t) => ({
  trend: t.field({
    type: [TrendPoint],
    nullable: false,
    description:
      'Papers of this topic (for an area: of its topics) published per month or week, oldest first, every period listed.',
    args: {
      from: t.arg({ type: 'Date', required: true, description: 'The first day counted.' }),
      to: t.arg({ type: 'Date', required: true, description: 'The last day counted.' }),
      interval: t.arg({ type: TrendInterval, defaultValue: 'month', description: 'MONTH unless given.' }),
    },
    resolve: (topic, { from, to, interval }, ctx) => {
      if (from > to) throw badUserInput('`from` must not be after `to`.', 'from');
      const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
      if (days > 366 * 20) throw badUserInput('A trend covers at most 20 years.', 'to');
      return countTopicTrend(ctx.db, topic.id, from, to, interval ?? 'month');
    },
  }),
  relatedTopics: t.loadableList({
    type: TopicCount,
    nullable: false,
    description: 'Topics that papers of this topic also have, with how many papers share each, most first.',
    args: { first: t.arg.int({ defaultValue: 10, description: 'At most this many (1 to 100).' }) },
    byPath: true,
    load: async (ids: number[], ctx: Context, args) => {
      checkSize(args.first, 'first');
      const rows = await findRelatedTopics(ctx.db, ids, args.first ?? 10);
      return ids.map((id) => rows.filter((r) => r.source_id === id));
    },
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
      if (!topic) throw notFound(`No topic has the slug "${slug}"; \`topics\` lists them.`);
      return topic;
    },
  }),
  topics: t.field({
    type: [Topic],
    nullable: false,
    description:
      'The taxonomy in order: every area followed by its topics, only the areas with `rootsOnly: true` (then walk `children`), or the topics named in `slugs`.',
    args: {
      rootsOnly: t.arg.boolean({
        defaultValue: false,
        description: 'Return only the areas (topics without a parent).',
      }),
      slugs: t.arg.stringList({
        required: false,
        description: 'Return only these topics, in the order given (at most 100); unknown slugs are left out.',
      }),
    },
    resolve: async (_root, { rootsOnly, slugs }, ctx) => {
      if (!slugs) return findAllTopics(ctx.db, { rootsOnly: rootsOnly ?? false });
      if (slugs.length > 100) throw badUserInput('`slugs` takes at most 100 slugs.', 'slugs');
      const bySlug = new Map((await findTopicsBySlugs(ctx.db, slugs)).map((topic) => [topic.slug, topic]));
      return slugs.flatMap((slug) => {
        const topic = bySlug.get(slug);
        return topic && (!rootsOnly || topic.parent_id === null) ? [topic] : [];
      });
    },
  }),
}));
