// GraphQL over GET carries `variables` and `extensions` as JSON in the query string. Yoga
// parses them without catching a syntax error (a 500); they are checked here first, so that a
// malformed one is the client's 400, as it is for POST.
import type { Plugin } from 'graphql-yoga';

function isJsonObject(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed === null || (typeof parsed === 'object' && !Array.isArray(parsed));
  } catch {
    return false;
  }
}

export function useGetParameters(): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET') return;
      for (const name of ['variables', 'extensions']) {
        const value = url.searchParams.get(name);
        if (value === null || isJsonObject(value)) continue;
        const error = {
          message: `The \`${name}\` parameter must be a JSON object.`,
          extensions: { code: 'BAD_REQUEST' },
        };
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [error] }), {
            status: 400,
            headers: { 'content-type': 'application/json; charset=utf-8' },
          }),
        );
        return;
      }
    },
  };
}
