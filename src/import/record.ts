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
  problems: ImportProblem[];
}

/** An arXiv identifier: new style (2406.02214) or old style (hep-th/9901001), without version. */
export const ARXIV_ID = /^(\d{4}\.\d{4,5}|[a-z][a-z.-]*\/\d{7})$/i;

/**
 * An arXiv id as papers are keyed: trimmed, without a version suffix (`2406.02214v2` is
 * `2406.02214`: the versions of a paper are one paper).
 */
export function normalizeArxivId(id: string): string {
  return id.trim().replace(/v\d+$/i, '');
}
