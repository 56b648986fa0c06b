/** A paper as an importer read it, before it meets the database. */
export interface PaperRecord {
  /** Where the record starts in its file (1-based), for messages. */
  line: number;
  arxivId: string | null;
  title: string;
  abstract: string;
  authorsCount: number | null;
  /** YYYY-MM-DD */
  publishedAt: string | null;
  /** YYYY-MM-DD */
  featuredOn: string | null;
  upvotes: number | null;
  organization: { name: string; displayName: string | null } | null;
  githubUrl: string | null;
  projectUrl: string | null;
  /** Author names in order; hidden ones are kept and marked. Null: the source lists none. */
  authors?: { name: string; hidden: boolean }[] | null;
  commentsCount?: number | null;
  githubStars?: number | null;
  /** Keywords the Daily Papers AI extracted; null when the record has none. */
  keywords?: string[] | null;
  aiSummary?: string | null;
}

/** A part of the input that was skipped, and why. */
export interface ImportProblem {
  source: string;
  line: number;
  message: string;
}

export interface ImportSummary {
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  /** The first MAX_REPORTED_PROBLEMS skipped records and why (`skipped` counts them all). */
  problems: ImportProblem[];
}

/** Skipped records reported one by one; beyond this many, only counted. */
export const MAX_REPORTED_PROBLEMS = 100;
