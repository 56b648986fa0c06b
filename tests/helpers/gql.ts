import type { App } from '../../src/yoga.ts';

export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; argument?: string; [key: string]: unknown };
}

export interface GqlResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: GqlError[];
  extensions?: Record<string, unknown>;
}

export interface GqlOptions {
  /** An API key, sent as `Authorization: Bearer <key>`. */
  key?: string | undefined;
  headers?: Record<string, string>;
}

/**
 * Sends one GraphQL request (POST, JSON) to an app in the process (`app.fetch`, a real Fetch
 * request without a socket) or to a server's GraphQL URL (a real HTTP request).
 */
export async function gql<T = Record<string, unknown>>(
  target: App | string,
  query: string,
  variables?: Record<string, unknown>,
  options: GqlOptions = {},
): Promise<GqlResult<T>> {
  const init = {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  };
  const response =
    typeof target === 'string' ? await fetch(target, init) : await target.fetch('http://papergraph.test/graphql', init);
  const body = (await response.json()) as Omit<GqlResult<T>, 'status' | 'headers'>;
  return { status: response.status, headers: response.headers, ...body };
}

/** The data of a request that must succeed; fails the test with the errors otherwise. */
export async function gqlData<T = Record<string, unknown>>(
  target: App | string,
  query: string,
  variables?: Record<string, unknown>,
  options: GqlOptions = {},
): Promise<T> {
  const result = await gql<T>(target, query, variables, options);
  if (result.errors?.length || !result.data) {
    throw new Error(`GraphQL request failed: ${JSON.stringify(result.errors ?? result)}`);
  }
  return result.data;
}
