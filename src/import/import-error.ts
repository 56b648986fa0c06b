// What an import reports when it cannot run or finish.

export const IMPORT_FORMATS = ['daily-page', 'hf-jsonl', 'hf-json'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** What was committed before an import failed. */
export interface Committed {
  created: number;
  updated: number;
  unchanged: number;
  /** Records read up to the end of the last committed batch. */
  records: number;
}

/**
 * The import could not run or did not finish: an unreadable or unrecognized file, a bad record
 * with --strict, or a batch the database refused. `committed` says what was written before
 * (nothing, unless batches committed one by one).
 */
export class ImportError extends Error {
  override name = 'ImportError';
  readonly source: string;
  /** The line (or array position) at fault, when one is. */
  readonly line: number | undefined;
  readonly reason: string;
  readonly committed: Committed;
  constructor(
    source: string,
    reason: string,
    options: { line?: number | undefined; committed?: Committed; cause?: unknown } = {},
  ) {
    super(`${source}${options.line ? `:${options.line}` : ''}: ${reason}`, { cause: options.cause });
    this.source = source;
    this.line = options.line;
    this.reason = reason;
    this.committed = options.committed ?? { created: 0, updated: 0, unchanged: 0, records: 0 };
  }
}
