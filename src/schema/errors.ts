import { builder } from '../builder.ts';
import {
  AppError,
  type FieldIssue,
  ForbiddenError,
  NotFoundError,
  PaperConflictError,
  ValidationError,
} from '../errors.ts';
import { LIST_LIMITS } from '../paper-values.ts';
import { atMost } from './costs.ts';
import { Paper } from './paper.ts';

export const ErrorInterface = builder.interfaceRef<AppError>('Error').implement({
  description: 'An expected failure of a mutation, returned as data: branch on `__typename`.',
  fields: (t) => ({
    message: t.exposeString('message', { nullable: false, description: 'What went wrong, for people.' }),
  }),
});

builder.objectType(AppError, {
  name: 'BaseError',
  interfaces: [ErrorInterface],
  description: 'A failure with no more specific type.',
});

const FieldIssueRef = builder.objectRef<FieldIssue>('FieldIssue').implement({
  description: 'A problem with one input field.',
  fields: (t) => ({
    field: t.exposeString('field', { nullable: false, description: 'The input field, e.g. `input.title`.' }),
    message: t.exposeString('message', { nullable: false, description: 'What is wrong with it.' }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  interfaces: [ErrorInterface],
  description: 'The input was not accepted; `issues` says which fields and why. Nothing was written.',
  fields: (t) => ({
    field: t.string({
      nullable: false,
      description: 'The first input field at fault, e.g. `input.title` (all of them: `issues`).',
      resolve: (error) => error.issues[0]?.field ?? 'input',
    }),
    issues: t.field({
      type: [FieldIssueRef],
      nullable: false,
      description: 'One entry per problem.',
      // At most two per rule of a topic (pattern, weight), and a few more.
      ...atMost(2 * LIST_LIMITS.rulesPerTopic + 20),
      resolve: (error) => error.issues,
    }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  interfaces: [ErrorInterface],
  description: 'The object the input names does not exist (any more).',
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  interfaces: [ErrorInterface],
  description: 'The API key is missing or lacks the scope this mutation needs (`write` or `admin`).',
});

builder.objectType(PaperConflictError, {
  name: 'PaperConflictError',
  interfaces: [ErrorInterface],
  description:
    'The paper exists already: another has the same arXiv id, or the same title where either has no arXiv id. Nothing was written.',
  fields: (t) => ({
    field: t.exposeString('field', {
      nullable: false,
      description: 'The input field that collides: `input.arxivId` or `input.title`.',
    }),
    existingPaper: t.field({
      type: Paper,
      nullable: false,
      description: 'The paper that exists.',
      resolve: (error) => error.paperId,
    }),
  }),
});

type ErrorClass = typeof ValidationError | typeof NotFoundError | typeof ForbiddenError | typeof PaperConflictError;

/** The errors plugin's options for a mutation: its result union, named after it, with these error types. */
export function mutationErrors(
  mutation: string,
  types: ErrorClass[] = [ValidationError, NotFoundError, ForbiddenError],
) {
  return {
    types,
    directResult: true as const,
    union: {
      name: `${mutation.charAt(0).toUpperCase()}${mutation.slice(1)}Result`,
      description: `The payload of ${mutation}, or why it failed (branch on \`__typename\`).`,
    },
  };
}
