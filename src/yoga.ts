import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError } from 'graphql';
import { createYoga, type YogaLogger, type YogaServerInstance } from 'graphql-yoga';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { authenticate } from './auth.ts';
import { type Context, createContext } from './context.ts';
import type { Db } from './db/database.ts';
import { maskDatabaseOutage, useErrorCodes } from './errors.ts';
import { useFeeds } from './feeds.ts';
import { armorPlugins, useNestingGuard, useNodeLimit } from './limits.ts';
import { createPapersPubSub, type PapersPubSub } from './pubsub.ts';
import { useRateLimit } from './rate-limit.ts';
import { schema } from './schema/index.ts';

export const GRAPHQL_PATH = '/graphql';

/** The query GraphiQL opens with: nested, paginated and filtered, to show what the API does. */
export const EXAMPLE_QUERY = /* GraphQL */ `# Welcome to papergraph: research papers,
# their topics and organizations.
# Run this query with the pink button (or Ctrl-Enter).
# The Docs panel (top left) describes every field.

query NewestPapers {
  papers(
    first: 5
    orderBy: { field: PUBLISHED_AT, direction: DESC }
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      title
      publishedAt
      upvotes
      authorsCount
      githubUrl
      organization { name displayName }
      topicScores {
        score
        topic { slug name parent { name } }
      }
    }
  }
  topic(slug: "pre-training") {
    name
    paperCount
    papers(first: 3, filter: { minUpvotes: 1 }) {
      nodes { title upvotes }
    }
  }
}
`;

export interface AppOptions {
  db: Db;
  /** Hide error details and GraphiQL's dev-only extras in production. */
  production?: boolean;
  /** Per-client request limit; none when absent (tests, scripts). */
  rateLimit?: { limiter: RateLimiterAbstract; perMinute: number } | undefined;
  logger?: YogaLogger | undefined;
  /** Where subscription events go; in-process unless given (the server passes a Redis one). */
  pubsub?: PapersPubSub | undefined;
}

export type App = YogaServerInstance<Record<string, never>, Context>;

/** The GraphQL app, without a listening socket: servers mount it, tests call `app.fetch`. */
export function createApp({
  db,
  production = false,
  rateLimit,
  logger,
  pubsub = createPapersPubSub(),
}: AppOptions): App {
  return createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    context: async ({ request }) => {
      const auth = await authenticate(db, request.headers.get('authorization'));
      if ('error' in auth) {
        throw new GraphQLError(auth.error, {
          extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } } },
        });
      }
      return createContext(db, auth.viewer, pubsub);
    },
    // GraphiQL's assets are served inline from the @graphql-yoga/render-graphiql package:
    // Yoga's default loads them from a CDN, which leaves a blank page on machines without internet.
    renderGraphiQL,
    graphiql: { title: 'papergraph', defaultQuery: EXAMPLE_QUERY },
    landingPage: false,
    maskedErrors: { isDev: !production, maskError: maskDatabaseOutage },
    plugins: [
      ...(rateLimit ? [useRateLimit(rateLimit.limiter, rateLimit.perMinute)] : []),
      useFeeds(db),
      // Browsers may send "simple" cross-site requests without asking first: require a
      // header they cannot add without a preflight (JSON requests always qualify).
      useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'apollo-require-preflight'] }),
      useNestingGuard(),
      ...armorPlugins(),
      useNodeLimit(),
      useErrorCodes(),
    ],
    logging: logger ?? (production ? 'info' : 'warn'),
  });
}
