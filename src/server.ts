import { createServer, type Server } from 'node:http';
import type { Config } from './config.ts';
import { createDb } from './db/database.ts';
import { prepareDatabase } from './setup.ts';
import { createApp, GRAPHQL_PATH } from './yoga.ts';

export interface RunningServer {
  url: string;
  server: Server;
  /** Stops accepting connections, lets in-flight requests finish, closes the database. */
  close(): Promise<void>;
}

/** config → database → migrations and seed → HTTP server. */
export async function startServer(config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  const db = await createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const prepared = await prepareDatabase(db, { sampleData: config.sampleData });
  if (prepared.migrations.length > 0) log(`Applied migrations: ${prepared.migrations.join(', ')}`);
  if (prepared.samplePapers > 0) log(`Loaded ${prepared.samplePapers} sample papers.`);
  const app = createApp({ db, production: config.production });
  const server = createServer((req, res) => {
    if (req.url === '/' || req.url === '') {
      res.writeHead(302, { location: GRAPHQL_PATH }).end();
      return;
    }
    void app.handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const loopbackOrAny = ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].includes(config.host);
  const host = loopbackOrAny ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}${GRAPHQL_PATH}`;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await db.destroy();
    })());
  return { url, server, close };
}
