import { filter, pipe } from 'graphql-yoga';
import { builder } from '../builder.ts';
import { findPapersByIds } from '../db/queries/papers.ts';
import { parseGlobalId } from './global-id.ts';
import { Paper } from './paper.ts';

// Events carry ids; each is resolved with a fresh query, since a subscription's context (and
// its loaders' caches) lives as long as the subscription.
builder.subscriptionFields((t) => ({
  paperAdded: t.field({
    type: Paper,
    nullable: false,
    description: 'Each paper added from now on (by `createPaper`), optionally only those with any of these topics.',
    args: {
      topics: t.arg.stringList({
        description: 'Topic or area slugs; a paper with any of them is sent. All papers when absent.',
      }),
    },
    subscribe: (_root, args, ctx) => {
      const wanted = args.topics ? new Set(args.topics) : undefined;
      return pipe(
        ctx.pubsub.subscribe('paper:added'),
        filter((event) => !wanted || event.topics.some((slug) => wanted.has(slug))),
      );
    },
    resolve: async (event, _args, ctx) => {
      const [paper] = await findPapersByIds(ctx.db, [event.paperId]);
      if (!paper) throw new Error('the paper was deleted');
      return paper;
    },
  }),
  paperUpvoted: t.field({
    type: Paper,
    nullable: false,
    description: 'The paper each time its upvotes change.',
    args: { id: t.arg.id({ required: true, description: 'The global ID of the paper.' }) },
    subscribe: (_root, { id }, ctx) => ctx.pubsub.subscribe('paper:upvoted', parseGlobalId(String(id), 'Paper')),
    resolve: async (event, _args, ctx) => {
      const [paper] = await findPapersByIds(ctx.db, [event.paperId]);
      if (!paper) throw new Error('the paper was deleted');
      return paper;
    },
  }),
}));
