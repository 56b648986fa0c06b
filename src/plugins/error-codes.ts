// Codes on every error a client can get, and masking for the rest: clients branch on
// `extensions.code`, and nothing internal (messages, stacks, SQL) reaches them.
import { GraphQLError } from 'graphql';
import { maskError, type Plugin, type YogaLogger } from 'graphql-yoga';
import type { Logger } from 'pino';
import { isDatabaseUnavailable, WriteQueueFullError } from '../db/failures.ts';
import { isMutating } from '../request-scope.ts';

/** The same error with other extensions (a GraphQLError's extensions are read-only). */
function withExtensions(error: GraphQLError, extensions: GraphQLError['extensions']): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions,
  });
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return error.extensions?.code ? error : withExtensions(error, { ...error.extensions, code });
}

function withoutHttpStatus(error: GraphQLError): GraphQLError {
  const { http: _status, ...extensions } = error.extensions ?? {};
  return error.extensions?.http ? withExtensions(error, extensions) : error;
}

/**
 * Gives the errors graphql-js raises before any resolver runs a code too, as Apollo names
 * them, so that clients can branch on every error: a syntax error, a query that does not
 * fit the schema, and a variable of the wrong type or shape.
 */
export function useErrorCodes(options: { errorDetails?: boolean } = {}): Plugin {
  return {
    // Yoga attaches the parser's own error to a malformed body's error (`extensions.originalError`),
    // and that message quotes the body: nothing of what a client sent, or of the server, goes
    // back unless details were asked for.
    onResultProcess({ request, result, setResult }) {
      // A mutation that answered data wrote: an error beside it (in a field of its payload)
      // must not make the response a 503, which tells clients to send the write again.
      if (
        isMutating(request) &&
        !Array.isArray(result) &&
        'data' in result &&
        Object.values(result.data ?? {}).some((value) => value !== null) &&
        result.errors?.some((e) => e.extensions?.http)
      ) {
        setResult({ ...result, errors: result.errors.map(withoutHttpStatus) });
        return;
      }
      if (Array.isArray(result) || !('errors' in result) || !result.errors) return;
      if (!result.errors.some((e) => e.extensions && 'originalError' in e.extensions)) return;
      setResult({
        ...result,
        errors: result.errors.map((e) => {
          if (!e.extensions || !('originalError' in e.extensions)) return e;
          const { originalError, ...extensions } = e.extensions;
          // A body that is not JSON is no GraphQL request at all: 400 whatever the client
          // accepts (GraphQL over HTTP, "JSON parsing failure"), where Yoga answers 200 to
          // `Accept: application/json`.
          const http = extensions.http as { spec?: boolean } | undefined;
          if (extensions.code === 'BAD_REQUEST' && http?.spec) extensions.http = { ...http, spec: false };
          return new GraphQLError(e.message, {
            nodes: e.nodes,
            path: e.path,
            extensions: options.errorDetails ? { ...extensions, originalError } : extensions,
          });
        }),
      });
    },
    onParse:
      () =>
      ({ result, replaceParseResult }) => {
        if (result instanceof GraphQLError) replaceParseResult(withCode(result, 'GRAPHQL_PARSE_FAILED'));
      },
    onValidate:
      () =>
      ({ result, setResult }) => {
        if (result.length > 0) setResult(result.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')));
      },
    onExecute: () => ({
      onExecuteDone: ({ result, setResult }) => {
        // Errors without a path come from coercing the variables, before execution starts.
        if (!('errors' in result) || !result.errors || 'data' in result) return;
        setResult({ ...result, errors: result.errors.map((e) => (e.path ? e : withCode(e, 'BAD_USER_INPUT'))) });
      },
    }),
  };
}

/**
 * Yoga's masking, except that a database that cannot be reached (or does not answer in time)
 * is said so, with a status and code clients can retry on, rather than as an unexpected error.
 */
export function maskErrors(error: unknown, message: string, isDev?: boolean): Error {
  const unavailable = isDatabaseUnavailable(error);
  if (unavailable) {
    // Where it happened stays (a field's path), not what: the cause is logged, not sent.
    const at = error instanceof GraphQLError ? error : undefined;
    return new GraphQLError(unavailable, {
      nodes: at?.nodes,
      source: at?.source,
      positions: at?.positions,
      path: at?.path,
      extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
    });
  }
  return maskError(error, message, isDev);
}

/**
 * Yoga's logger, on the server's. Yoga logs every error it masks at level error; a write turned
 * away because too many were waiting is the server shedding load as designed (the client got 503
 * and "nothing was written"): a warning, without a stack.
 */
export function yogaLogger(logger: Logger): YogaLogger {
  return {
    debug: (...args: unknown[]) => logger.debug(args[0]),
    info: (...args: unknown[]) => logger.info(args[0]),
    warn: (...args: unknown[]) => logger.warn(args[0]),
    error: (...args: unknown[]) => {
      const [error] = args;
      const cause = error instanceof GraphQLError ? error.originalError : error;
      if (cause instanceof WriteQueueFullError) logger.warn(cause.message);
      else logger.error(error);
    },
  };
}
