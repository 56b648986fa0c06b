// Committed imports, as /metrics counts them: the importPapers mutation and the daily sync
// announce what a transaction wrote once it has committed (an import that rolls back wrote
// nothing, and counts nothing).
import { EventEmitter } from 'node:events';

export interface ImportedCounts {
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
}

export const importEvents = new EventEmitter<{ imported: [counts: ImportedCounts] }>();
