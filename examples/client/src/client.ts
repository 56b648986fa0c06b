// A typed GraphQL client in plain fetch: documents come from graphql-codegen (../dist/gql), so
// variables and results are typed from the schema, and each document carries its hash. Queries
// go by GET with `documentId` (cacheable by the browser and any CDN), mutations by POST with
// `documentId`. A server that does not know a document (PERSISTED_QUERY_NOT_FOUND) gets its
// text instead, unless it runs persisted documents only.
import type { TypedDocumentString } from '../dist/gql/graphql.ts';

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

export class GraphQLRequestError extends Error {
  override name = 'GraphQLRequestError';
  readonly errors: GraphQLErrorShape[];
  readonly status: number;
  constructor(errors: GraphQLErrorShape[], status: number) {
    super(errors.map((e) => e.message).join('; ') || `HTTP ${status}`);
    this.errors = errors;
    this.status = status;
  }
}

export interface ClientOptions {
  /** The GraphQL endpoint, e.g. http://localhost:4000/graphql (or /graphql in a page). */
  url: string;
  /** An API key, for writes (sent as a Bearer token; such reads are never cached). */
  key?: string;
  /** Send the document's text when the server does not know its id (default true). */
  fallbackToText?: boolean;
  fetch?: typeof fetch;
}

/** The arguments after the document: the variables, required when the operation has any required. */
export type VariablesOf<V> = V extends Record<string, never> ? [variables?: V] : [variables: V];

interface Response<R> {
  data?: R | null;
  errors?: GraphQLErrorShape[];
}

const kindOf = (text: string) => /^\s*(query|mutation|subscription)\b/.exec(text)?.[1] ?? 'query';

/** The id the server knows a document by: its hash, as the draft writes it (`sha256:<hex>`). */
export const documentId = (document: { __meta__?: Record<string, unknown> | undefined }): string | undefined => {
  const hash = document.__meta__?.hash;
  if (typeof hash !== 'string') return undefined;
  return hash.includes(':') ? hash : `sha256:${hash}`;
};

export function createClient(options: ClientOptions) {
  const send = options.fetch ?? fetch;
  const base = typeof location === 'undefined' ? undefined : location.href;
  const headers: Record<string, string> = { accept: 'application/graphql-response+json, application/json' };
  if (options.key) headers.authorization = `Bearer ${options.key}`;

  async function request<R>(kind: string, body: Record<string, unknown>): Promise<Response<R> & { status: number }> {
    let response: globalThis.Response;
    if (kind === 'query') {
      const url = new URL(options.url, base);
      for (const [name, value] of Object.entries(body)) {
        if (value !== undefined) url.searchParams.set(name, typeof value === 'string' ? value : JSON.stringify(value));
      }
      // GET needs a header a cross-site form cannot send (the server's CSRF check).
      response = await send(url, { headers: { ...headers, 'x-graphql-yoga-csrf': '1' } });
    } else {
      response = await send(options.url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    }
    const json = (await response.json()) as Response<R>;
    return { ...json, status: response.status };
  }

  /** Runs a typed document; resolves with its data, rejects with GraphQLRequestError. */
  return async function execute<R, V>(document: TypedDocumentString<R, V>, ...[variables]: VariablesOf<V>): Promise<R> {
    const text = document.toString();
    const kind = kindOf(text);
    const id = documentId(document);
    let result = await request<R>(kind, id ? { documentId: id, variables } : { query: text, variables });
    const unknown = result.errors?.some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND');
    if (id && unknown && options.fallbackToText !== false) {
      result = await request<R>(kind, { query: text, variables });
    }
    if (result.errors?.length || !result.data) throw new GraphQLRequestError(result.errors ?? [], result.status);
    return result.data;
  };
}
