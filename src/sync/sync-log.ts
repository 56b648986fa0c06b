// Where a sync says what it does: pino in the server (structured fields and a message), plain
// lines on stderr for the command. The fields carry the figures; the message reads alone.

/** The part of a pino logger a sync uses. */
export interface SyncLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** The command's log: each message on its own line on stderr (stdout is kept for the summary). */
export const stderrLog: SyncLog = {
  info: (_fields, message) => console.error(message),
  warn: (_fields, message) => console.error(message),
};

/** A log that drops everything (tests, benchmarks). */
export const silentLog: SyncLog = { info: () => {}, warn: () => {} };
