// HTTP caching of public reads: a query sent by GET (as text or by documentId) without an API
// key, answered without errors, gets `Cache-Control: public, max-age=N` from the fields it
// selects (schema/cache-hints.ts: the shortest declared time; anything undeclared means
// no-store), an ETag, and 304 for a matching If-None-Match, so that a CDN or a browser can
// reuse it. Everything else the GraphQL endpoint answers is never stored: no-store, and
// `private` too when the request carried a key.
import { createHash } from 'node:crypto';
import { type DocumentNode, type GraphQLSchema, parse } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { cachedMaxAgeOf } from '../schema/cache-hints.ts';

export interface HttpCacheOptions {
  schema: GraphQLSchema;
  graphqlPath: string;
  /** The persisted document behind a `query` placeholder (plugins/persisted-documents.ts). */
  persistedDocument?: ((query: string) => DocumentNode | undefined) | undefined;
}

interface Seen {
  query?: string | undefined;
  operationName?: string | null | undefined;
  /** The data of a single result without errors (not a stream). */
  data?: unknown;
}

/** Whether an If-None-Match header names this ETag (weak comparison, as RFC 9110 asks for GET). */
export function etagMatches(ifNoneMatch: string, etag: string): boolean {
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

export function useHttpCache({ schema, graphqlPath, persistedDocument }: HttpCacheOptions): Plugin {
  const seen = new WeakMap<Request, Seen>();
  // Query texts seen before, parsed: Yoga's own parse cache is not reachable from a plugin, and
  // a cache hit (response cache) skips parsing altogether. Unparsable texts are not kept.
  const parsed = new LRUCache<string, DocumentNode>({ max: 1000 });
  const documentOf = (query: string): DocumentNode | undefined => {
    const persisted = persistedDocument?.(query);
    if (persisted) return persisted;
    let document = parsed.get(query);
    if (!document) {
      try {
        document = parse(query);
      } catch {
        return undefined;
      }
      parsed.set(query, document);
    }
    return document;
  };
  /** Seconds a public GET of this request may be reused; 0: not at all. */
  const maxAge = (request: Request): number => {
    const info = seen.get(request);
    if (info?.data === undefined || !info.query) return 0;
    const document = documentOf(info.query);
    return document ? cachedMaxAgeOf(schema, document, info.operationName) : 0;
  };
  return {
    onParams({ request, params }) {
      seen.set(request, { query: params.query, operationName: params.operationName });
    },
    onResultProcess({ request, result }) {
      const info = seen.get(request);
      if (!info) return;
      if (!isAsyncIterable(result) && !Array.isArray(result) && !result.errors?.length) info.data = result.data;
    },
    onResponse({ request, response, setResponse, fetchAPI }) {
      if (new URL(request.url).pathname !== graphqlPath) return;
      const headers = response.headers;
      const keyed = request.headers.has('authorization');
      const type = headers.get('content-type') ?? '';
      // GraphiQL's page has validators of its own (plugins/graphiql.ts).
      if (type.startsWith('text/html')) return;
      const age =
        request.method === 'GET' && !keyed && response.status === 200 && type.includes('json') ? maxAge(request) : 0;
      if (age === 0) {
        // Never stored: a POST, a mutation or subscription, an error, a key, or an undeclared field.
        headers.set('cache-control', keyed ? 'private, no-store' : 'no-store');
        // The response cache tags what it stores; those tags say nothing to an HTTP cache here.
        headers.delete('etag');
        headers.delete('last-modified');
        return;
      }
      // The tag is that of the data (the same whether computed now or served by the response
      // cache, whose answers lack the per-request `extensions`) and of the media type.
      const data = JSON.stringify(seen.get(request)?.data);
      const etag = `"${createHash('sha1').update(type).update('\n').update(data).digest('base64url')}"`;
      headers.set('cache-control', `public, max-age=${age}`);
      headers.set('etag', etag);
      // An answer from the response cache was stored a while ago: say how long (RFC 9111 Age),
      // so that no cache downstream keeps it past its declared time.
      const stored = Date.parse(headers.get('last-modified') ?? '');
      if (Number.isFinite(stored)) headers.set('age', String(Math.max(0, Math.floor((Date.now() - stored) / 1000))));
      headers.delete('last-modified');
      // The key decides whether an answer may be shared; the media type shapes the body.
      headers.set('vary', 'Accept, Authorization');
      const ifNoneMatch = request.headers.get('if-none-match');
      if (ifNoneMatch && etagMatches(ifNoneMatch, etag)) {
        headers.delete('content-type');
        headers.delete('content-length');
        setResponse(new fetchAPI.Response(null, { status: 304, headers }));
        return;
      }
    },
  };
}
