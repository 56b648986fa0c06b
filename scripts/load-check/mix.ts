// What a mix beside the normal traffic is to the load check: it prepares (keys, pools, the
// state its checks compare with), runs its clients for the measured seconds, then checks and
// reports. Each mix gets a server of its own, started with its variables.
import type { ServerProcess } from '../lib/child.ts';

export interface MixContext {
  server: ServerProcess;
  /** The server's database, for the checks in SQL. */
  databaseUrl: string;
  /** Global ids of the papers the normal traffic reads and upvotes (the newest 100). */
  paperIds: string[];
  /** New API keys of one scope, made with `papergraph keys create`. */
  createKeys(scope: 'write' | 'admin', count: number): Promise<string[]>;
  /** Aborted on Ctrl-C: clients stop sending. */
  signal: AbortSignal;
}

/** What a mix reports: its lines, and each promise it saw broken, in one line (none: it passed). */
export interface MixReport {
  lines: string[];
  failures: string[];
}

export interface MixRun {
  /** The mix's clients, for `seconds`; resolves once every request they sent has an answer (or timed out). */
  run(seconds: number): Promise<void>;
  /** After the run, once the normal traffic's requests have finished too: checks and figures. */
  finish(): Promise<MixReport>;
}

export interface Mix {
  /** What it does, in a line. */
  description: string;
  /** The server's variables for this mix, over the load check's. */
  serverEnv: Record<string, string>;
  prepare(ctx: MixContext): Promise<MixRun>;
}
