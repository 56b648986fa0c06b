// How the command line ends: one clear line on stderr and an exit code that says what
// happened (documented in the README; `papergraph --help` lists them).

export const EXIT = {
  /** Done. */
  ok: 0,
  /** The command failed (an import, a key not found, …); the message says what was done before. */
  failed: 1,
  /** Bad configuration or arguments. */
  usage: 2,
  /** An import finished but skipped bad records (0 with --allow-skipped). */
  skipped: 3,
  /** A dependency is unavailable: the database, the port, or the data folder (in use by another process). */
  unavailable: 4,
} as const;

export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failed) {
    super(message);
    this.exitCode = exitCode;
  }
}

export const EXIT_CODES_HELP = `Exit codes:
  0  done
  1  the command failed (the message says what, and what was written before)
  2  bad configuration or arguments
  3  an import finished but skipped bad records (0 with --allow-skipped)
  4  a dependency is unavailable: the database, the port, or the embedded database's folder`;
