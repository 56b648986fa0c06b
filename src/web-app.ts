// The Daily Papers page (examples/web), served at /app/ when WEB_APP=on: static files built
// ahead by `npm run build:web` into .papergraph/web (an ES module bundle, its HTML and CSS, and
// the manifest of the persisted documents it sends). Read into memory at start-up: a handful of
// small files.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';

export const WEB_APP_PATH = '/app/';

/** Where `npm run build:web` writes the page. */
export const WEB_APP_DIR = fileURLToPath(new URL('../.papergraph/web/', import.meta.url));

/** The manifest of the page's persisted documents, beside its build; throws WebAppError when not built. */
export function webAppManifest(dir: string = WEB_APP_DIR): string {
  const file = path.join(dir, 'persisted-documents.json');
  if (!existsSync(file)) throw notBuilt(dir);
  return file;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export class WebAppError extends Error {
  override name = 'WebAppError';
}

const notBuilt = (dir: string) =>
  new WebAppError(`WEB_APP=on, but the page is not built (${dir}): run \`npm run build:web\` first`);

interface StaticFile {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

/** The built page's files by name; throws WebAppError when it was not built. */
export function readWebApp(dir: string = WEB_APP_DIR): Map<string, StaticFile> {
  if (!existsSync(path.join(dir, 'index.html'))) throw notBuilt(dir);
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = new Uint8Array(readFileSync(path.join(dir, name)));
    files.set(name, { body, type, etag: `"${createHash('sha1').update(body).digest('base64url')}"` });
  }
  return files;
}

/**
 * Serves the page at /app/ (and /app/<file>) before GraphQL sees the request. Files are
 * revalidated on each use (their names carry no hash): a 304 when unchanged.
 */
export function useWebApp(files: Map<string, StaticFile>): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname === '/app') {
        endResponse(new fetchAPI.Response(null, { status: 301, headers: { location: WEB_APP_PATH } }));
        return;
      }
      if (!url.pathname.startsWith(WEB_APP_PATH)) return;
      const name = url.pathname.slice(WEB_APP_PATH.length) || 'index.html';
      const file = files.get(name);
      if (!file || (request.method !== 'GET' && request.method !== 'HEAD')) {
        endResponse(new fetchAPI.Response('Not found.\n', { status: 404, headers: { 'content-type': 'text/plain' } }));
        return;
      }
      const headers = {
        'content-type': file.type,
        etag: file.etag,
        'cache-control': 'no-cache',
        // The page loads its own script and style and talks to this origin only.
        'content-security-policy': "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'",
        'x-content-type-options': 'nosniff',
      };
      if (request.headers.get('if-none-match') === file.etag) {
        endResponse(new fetchAPI.Response(null, { status: 304, headers }));
        return;
      }
      endResponse(new fetchAPI.Response(request.method === 'HEAD' ? null : file.body, { headers }));
    },
  };
}
