import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { Cache as ResponseCache } from '@graphql-yoga/plugin-response-cache';
import { GraphQLError } from 'graphql';
import { createYoga, type Plugin, useReadinessCheck, type YogaLogger, type YogaServerInstance } from 'graphql-yoga';
import { createAuthenticator } from './auth.ts';
import { type Context, createContext } from './context.ts';
import type { Db } from './db/database.ts';
import { databaseAnswers } from './db/database.ts';
import { findTaxonomySize } from './db/queries/topics.ts';
import type { Metrics } from './metrics.ts';
import { useDeferStream, withDeferStream } from './plugins/defer-stream.ts';
import { maskErrors, useErrorCodes } from './plugins/error-codes.ts';
import { useFeeds } from './plugins/feeds.ts';
import { useGetParameters } from './plugins/get-parameters.ts';
import { renderGraphiQLPage, useGraphiQLAssets } from './plugins/graphiql.ts';
import { useHttpCache } from './plugins/http-cache.ts';
import { armorPlugins, useNestingGuard } from './plugins/limits.ts';
import { useOrderedExecution } from './plugins/ordered-execution.ts';
import { type PersistedDocuments, persistedDocuments, usePersistedDocuments } from './plugins/persisted-documents.ts';
import { type CostLimits, useQueryCost } from './plugins/query-cost.ts';
import { type RateLimiter, useRateLimit } from './plugins/rate-limit.ts';
import { useAppResponseCache } from './plugins/response-cache.ts';
import { useTextArguments } from './plugins/text-arguments.ts';
import { createPapersPubSub, type PapersPubSub } from './pubsub.ts';
import { useMutationTracking } from './request-scope.ts';
import { schema } from './schema/index.ts';
import { cached } from './util/cached.ts';
import { readWebApp, useWebApp } from './web-app.ts';

export const GRAPHQL_PATH = '/graphql';

/** The schema as served: with the @defer and @stream directives. */
export const servedSchema = withDeferStream(schema);

/**
 * How long the taxonomy's size (which bounds some lists in the query cost) is reused. Topic
 * writes announce themselves ('taxonomy:changed', through Redis to every process), which drops
 * it at once; the time limit covers a process that missed the event.
 */
const TAXONOMY_SIZE_TTL_MS = 60_000;

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

/** What /ready reports besides the database: Redis, when the server uses it. */
export type ReadinessCheck = () => Promise<Record<string, 'up' | 'down'>>;

export interface AppOptions {
  db: Db;
  /** Error messages and stacks of unexpected errors in responses: for development only. */
  errorDetails?: boolean | undefined;
  /** Operations per client address; none when absent (tests, scripts). */
  rateLimit?: RateLimiter | undefined;
  /** Take the client address from X-Forwarded-For (behind one reverse proxy). */
  trustProxy?: boolean | undefined;
  logger?: YogaLogger | undefined;
  /** Where subscription events go; in-process unless given (the server passes a Redis one). */
  pubsub?: PapersPubSub | undefined;
  /** Aborted when the server shuts down: open subscriptions complete. */
  shutdown?: AbortSignal | undefined;
  /** More dependencies for /ready to report (they do not make it fail: the server works without them). */
  readiness?: ReadinessCheck | undefined;
  /** Overrides of the cost limits (tests). */
  costLimits?: CostLimits | undefined;
  /** Prometheus metrics to keep (requests, errors, subscriptions…); none when absent. */
  metrics?: Metrics | undefined;
  /** OpenTelemetry's plugin, when traces are configured. */
  tracing?: Plugin | undefined;
  /** Documents clients may name by `documentId` (checked against servedSchema); none when absent. */
  persistedDocuments?: PersistedDocuments | undefined;
  /** Run the persisted documents only: free-form queries are refused. */
  persistedDocumentsOnly?: boolean | undefined;
  /** Where whole responses to public reads are kept; no response cache when absent. */
  responseCache?: ResponseCache | undefined;
  /** Called when the response cache could not be invalidated (its entries then expire by time). */
  onResponseCacheFailure?: ((error: unknown) => void) | undefined;
  /** The folder of the built Daily Papers page, served at /app/; not served when absent. */
  webApp?: string | undefined;
}

export type App = YogaServerInstance<Record<string, never>, Context>;

/**
 * Browsers may send "simple" cross-site requests without asking first: a header they cannot
 * add without a preflight is required (JSON requests always qualify). The exception is a
 * subscription by GET with `Accept: text/event-stream`: a browser's EventSource cannot add a
 * header, GET cannot run a mutation, and it carries no credentials (keys go in a header).
 */
function useCsrfPrevention(): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'apollo-require-preflight'] });
  return {
    onRequestParse(payload) {
      const { request } = payload;
      if (request.method === 'GET' && request.headers.get('accept')?.includes('text/event-stream')) return;
      return csrf.onRequestParse?.(payload);
    },
  };
}

/**
 * The GraphQL app, without a listening socket: servers mount it, tests call `app.fetch`. Reads
 * what the query cost needs first (the taxonomy's size), so that no request waits for it.
 */
export async function createApp({
  db,
  errorDetails = false,
  rateLimit,
  trustProxy = false,
  logger,
  pubsub = createPapersPubSub(),
  shutdown = new AbortController().signal,
  readiness,
  costLimits,
  metrics,
  tracing,
  persistedDocuments: documents = persistedDocuments({}, servedSchema),
  persistedDocumentsOnly = false,
  responseCache,
  onResponseCacheFailure,
  webApp,
}: AppOptions): Promise<App> {
  const authenticate = createAuthenticator(db);
  const taxonomySize = cached(() => findTaxonomySize(db), TAXONOMY_SIZE_TTL_MS);
  // A database that is down now is read again by the first request that needs it.
  await taxonomySize.get().catch(() => {});
  void (async () => {
    for await (const _ of pubsub.subscribe('taxonomy:changed')) taxonomySize.invalidate();
  })();
  const webAppFiles = webApp ? readWebApp(webApp) : undefined;
  return createYoga<Record<string, never>, Context>({
    schema: servedSchema,
    graphqlEndpoint: GRAPHQL_PATH,
    healthCheckEndpoint: '/health',
    context: async ({ request }) => {
      const auth = await authenticate(request.headers.get('authorization'));
      if ('error' in auth) {
        throw new GraphQLError(auth.error, {
          extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } } },
        });
      }
      return createContext(db, auth.viewer, pubsub, shutdown, metrics);
    },
    // GraphiQL's assets come from the @graphql-yoga/render-graphiql package, served by this
    // server (Yoga's default loads them from a CDN: a blank page without internet), as
    // versioned, compressed, cacheable files (plugins/graphiql.ts).
    renderGraphiQL: renderGraphiQLPage,
    graphiql: { title: 'papergraph', defaultQuery: EXAMPLE_QUERY },
    landingPage: false,
    // The HTTP front refuses a body over MAX_BODY_BYTES, or a POST without Content-Length, before
    // reading it (http-handler.ts), and Node reads no more than Content-Length says: Yoga's own
    // check would only pipe every body through a counting stream.
    maxRequestBodySize: false,
    maskedErrors: { isDev: errorDetails, maskError: maskErrors },
    plugins: [
      // First: it picks the executor, which the plugins after it (tracing, caches) wrap.
      useOrderedExecution(),
      useMutationTracking(),
      useReadinessCheck({
        endpoint: '/ready',
        check: async ({ fetchAPI }) => {
          const database = (await databaseAnswers(db, 1_000)) ? 'up' : 'down';
          const others = (await readiness?.()) ?? {};
          return fetchAPI.Response.json(
            { status: database === 'up' ? 'ready' : 'unavailable', database, ...others },
            { status: database === 'up' ? 200 : 503 },
          );
        },
      }),
      // Static files of the page: not GraphQL operations, so not counted by the rate limit.
      ...(webAppFiles ? [useWebApp(webAppFiles)] : []),
      ...(tracing ? [tracing] : []),
      ...(metrics ? metrics.plugins() : []),
      ...(rateLimit
        ? [useRateLimit(rateLimit, { trustProxy, onLimited: () => metrics?.rateLimited.inc({ transport: 'http' }) })]
        : []),
      useGraphiQLAssets(),
      useFeeds(db, logger),
      useGetParameters(),
      useCsrfPrevention(),
      // Documents by id: after the rate limit and CSRF checks (which look at the request, not
      // the document), before anything that reads the query (the caches key on it).
      usePersistedDocuments({ documents, only: persistedDocumentsOnly }),
      // Cache-Control, ETag and 304 for public GET reads: it reads the parameters as the
      // persisted documents left them, and every final response (rate limit refusals too).
      useHttpCache({ schema: servedSchema, graphqlPath: GRAPHQL_PATH, persistedDocument: documents.forQuery }),
      // A hit is answered here, before parsing, the limits and the cost: it costs nothing to
      // run. After the rate limit (a hit still counts) and the persisted documents (the key
      // is the document's text or id).
      ...(responseCache
        ? useAppResponseCache({
            schema: servedSchema,
            cache: responseCache,
            pubsub,
            onInvalidationFailure: onResponseCacheFailure,
          })
        : []),
      useNestingGuard(),
      ...armorPlugins(),
      useTextArguments(),
      useQueryCost({ stats: taxonomySize.get, limits: costLimits }),
      useErrorCodes({ errorDetails }),
      // Validation rules of @defer and @stream (the directives are in servedSchema already).
      useDeferStream(),
    ],
    logging: logger ?? 'warn',
  });
}
