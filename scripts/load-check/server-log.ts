// The server's log lines during a load check (LOG_LEVEL=warn: warnings and worse): all of them
// go to a file, for the evidence behind a failure; they are counted by level, and the first ones
// are passed on to stderr.
import { appendFileSync, writeFileSync } from 'node:fs';

const LEVELS: Record<number, string> = { 40: 'warn', 50: 'error', 60: 'fatal' };
const SHOWN = 20;

export const serverLog = {
  lines: 0,
  levels: new Map<string, number>(),
  file: '',
  /** For a new server: counts from 0, shows its first lines again, and writes to `file`. */
  reset(file: string): void {
    serverLog.lines = 0;
    serverLog.levels.clear();
    serverLog.file = file;
    writeFileSync(file, '');
  },
  /** For startServer's onLine. */
  line(line: string): void {
    serverLog.lines++;
    appendFileSync(serverLog.file, `${line}\n`);
    let level = 'other';
    try {
      level = LEVELS[(JSON.parse(line) as { level?: number }).level ?? 0] ?? 'other';
    } catch {
      // not a pino line
    }
    serverLog.levels.set(level, (serverLog.levels.get(level) ?? 0) + 1);
    if (serverLog.lines <= SHOWN) console.error(`[server] ${line.slice(0, 600)}`);
    else if (serverLog.lines === SHOWN + 1) console.error(`[server] (further server output is counted, not shown)`);
  },
  /** Lines by level, e.g. "error 12, warn 3", and where they all are. */
  summary(): string {
    const levels = [...serverLog.levels].map(([level, n]) => `${level} ${n}`).join(', ');
    return `${serverLog.lines} lines${levels ? ` (${levels})` : ''}, all in ${serverLog.file}`;
  },
};
