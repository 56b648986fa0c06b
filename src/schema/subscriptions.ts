import { filter, pipe } from 'graphql-yoga';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { findPapersByIds } from '../db/queries/papers.ts';
import { parseGlobalId } from './global-id.ts';
import { notFound } from './graphql-errors.ts';
import { Paper } from './paper.ts';

/**
 * The paper an event names, read afresh: a subscription's context (and its loaders' caches)
 * lives as long as the subscription, so a loader would serve the paper as it first was.
 */
async function loadFresh(ctx: Context, paperId: number) {
  const [paper] = await findPapersByIds(ctx.db, [paperId]);
  if (!paper) throw notFound('The paper of this event has been deleted since.');
  return paper;
}

/**
 * The events of a subscription until the server shuts down: then the stream ends, so that the
 * client gets a `complete` (SSE and WebSocket alike) instead of a cut connection.
 */
async function* untilShutdown<T>(events: AsyncIterable<T>, shutdown: AbortSignal): AsyncGenerator<T> {
  const iterator = events[Symbol.asyncIterator]();
  const ended = new Promise<IteratorResult<T>>((resolve) => {
    if (shutdown.aborted) resolve({ done: true, value: undefined });
    shutdown.addEventListener('abort', () => resolve({ done: true, value: undefined }), { once: true });
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), ended]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}

// Events carry ids; each is resolved with a fresh query.
builder.subscriptionFields((t) => ({
  paperAdded: t.field({
    type: Paper,
    nullable: false,
    description:
      'Each paper added from now on through a server (`createPaper`, `importPapers`, or the daily sync a server runs with SYNC_INTERVAL; not the `papergraph import` and `papergraph sync` commands), optionally only those with any of these topics.',
    args: {
      topics: t.arg.stringList({
        description: 'Topic or area slugs; a paper with any of them is sent. All papers when absent.',
      }),
    },
    subscribe: (_root, args, ctx) => {
      const wanted = args.topics ? new Set(args.topics) : undefined;
      return untilShutdown(
        pipe(
          ctx.pubsub.subscribe('paper:added'),
          filter((event) => !wanted || event.topics.some((slug) => wanted.has(slug))),
        ),
        ctx.shutdown,
      );
    },
    resolve: (event, _args, ctx) => loadFresh(ctx, event.paperId),
  }),
  paperUpvoted: t.field({
    type: Paper,
    nullable: false,
    description: 'The paper each time its upvotes change.',
    args: { id: t.arg.id({ required: true, description: 'The global ID of the paper.' }) },
    subscribe: (_root, { id }, ctx) =>
      untilShutdown(ctx.pubsub.subscribe('paper:upvoted', parseGlobalId(String(id), 'Paper')), ctx.shutdown),
    resolve: (event, _args, ctx) => loadFresh(ctx, event.paperId),
  }),
}));
