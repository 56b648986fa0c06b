import { GraphQLError } from 'graphql';
import { maskError, type Plugin } from 'graphql-yoga';

/**
 * Errors a client can act on. Yoga passes GraphQLErrors through its masking, so the
 * message and `extensions.code` reach the client; anything else is masked and logged.
 */
export function badUserInput(message: string, argument?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT', ...(argument ? { argument } : {}) },
  });
}

/** A lookup by a key the client gave (id, arXiv id, slug, name) found nothing. */
export function notFound(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'NOT_FOUND' } });
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions?.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

/**
 * Gives the errors graphql-js raises before any resolver runs a code too, as Apollo names
 * them, so that clients can branch on every error: a syntax error, a query that does not
 * fit the schema, and a variable of the wrong type or shape.
 */
export function useErrorCodes(): Plugin {
  return {
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

const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
]);

function isDatabaseOutage(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const { code, message } = e as { code?: string; message?: string };
    if (
      (code && OUTAGE_CODES.has(code)) ||
      /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(message ?? '')
    ) {
      return true;
    }
    e = (e as { originalError?: unknown; cause?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Yoga's masking, except that a database that cannot be reached is said so, with a code
 * clients can retry on, rather than as an unexpected error.
 */
export function maskDatabaseOutage(error: unknown, message: string, isDev?: boolean): Error {
  if (isDatabaseOutage(error)) {
    return new GraphQLError('The database is unavailable; try again shortly.', {
      extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
    });
  }
  return maskError(error, message, isDev);
}

/**
 * Expected failures of a mutation. The errors plugin turns them into members of the
 * mutation's result union (ValidationError, NotFoundError, ForbiddenError), so that
 * clients branch on __typename. Only AppErrors are exposed this way: any other error is
 * masked.
 */
export class AppError extends Error {
  override name = 'AppError';
}

export interface FieldIssue {
  /** The input field at fault, as a path from the input object (`input.title`). */
  field: string;
  message: string;
}

export class ValidationError extends AppError {
  override name = 'ValidationError';
  readonly issues: FieldIssue[];
  constructor(issues: FieldIssue[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
    this.issues = issues;
  }
}

export class NotFoundError extends AppError {
  override name = 'NotFoundError';
}

export class ForbiddenError extends AppError {
  override name = 'ForbiddenError';
}
