// Expected failures, as plain classes (no GraphQL here): the service layer throws them, and the
// schema exposes them as members of each mutation's result union (schema/errors.ts), so that
// clients branch on __typename. Only AppErrors are exposed this way: any other error is masked.

export class AppError extends Error {
  override name = 'AppError';
}

export interface FieldIssue {
  /** The input field at fault, as a path from the input object (`input.title`). */
  field: string;
  message: string;
}

/** The input was not accepted; nothing was written. */
export class ValidationError extends AppError {
  override name = 'ValidationError';
  readonly issues: FieldIssue[];
  constructor(issues: FieldIssue[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
    this.issues = issues;
  }
}

/** The object the input names does not exist (any more). */
export class NotFoundError extends AppError {
  override name = 'NotFoundError';
}

/** The API key is missing, or lacks the scope. */
export class ForbiddenError extends AppError {
  override name = 'ForbiddenError';
}

/**
 * The paper the input describes exists already (the same arXiv id, or the same title where
 * either has no arXiv id): nothing was written, and `paperId` names the one that exists.
 */
export class PaperConflictError extends AppError {
  override name = 'PaperConflictError';
  readonly paperId: number;
  /** The input field that collides: `input.arxivId` or `input.title`. */
  readonly field: string;
  constructor(paperId: number, field: string, message: string) {
    super(message);
    this.paperId = paperId;
    this.field = field;
  }
}
