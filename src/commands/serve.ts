// papergraph serve: the server until SIGTERM or SIGINT, then a graceful shutdown.
import type { Config } from '../config.ts';
import { DataDirLockedError } from '../db/data-dir-lock.ts';
import { describeConnectionFailure } from '../db/failures.ts';
import { createLogger, ListenError, startServer } from '../server.ts';
import { CliError, EXIT } from './errors.ts';

export async function serveCommand(config: Config): Promise<void> {
  const logger = createLogger(config);
  let running: Awaited<ReturnType<typeof startServer>>;
  try {
    running = await startServer(config, logger);
  } catch (error) {
    if (error instanceof ListenError || error instanceof DataDirLockedError) {
      throw new CliError(error.message, EXIT.unavailable);
    }
    const unavailable = describeConnectionFailure(error, config.databaseUrl);
    if (unavailable) throw new CliError(unavailable, EXIT.unavailable);
    throw error;
  }
  logger.info({ url: running.url }, `papergraph is serving ${running.url}`);
  const stop = (signal: string) => {
    logger.info({ signal }, 'finishing in-flight requests and shutting down');
    running.close().then(
      () => process.exit(EXIT.ok),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(EXIT.failed);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
