// Errors of a query's arguments, as GraphQL errors with a code. Yoga passes GraphQLErrors
// through its masking, so the message and `extensions.code` reach the client.
import { GraphQLError } from 'graphql';

/** An argument is invalid; `argument` names it (`first`, `filter.topics`). */
export function badUserInput(message: string, argument?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT', ...(argument ? { argument } : {}) },
  });
}

/**
 * A lookup by a key the client gave found nothing: the field is null and this error says
 * which key (the rule for root lookups; see the README's development notes).
 */
export function notFound(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'NOT_FOUND' } });
}
