// GraphiQL, served from this server (it works offline) and cheap to revisit. Yoga's renderer
// inlines 9 MB of script, styles and workers into one HTML page, sent whole on every visit.
// Here the page is a small shell with a validator, and its assets live at URLs that name their
// content's hash: sent compressed once, then cached by the browser for a year.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';

const ASSETS_PATH = '/graphiql/assets/';
const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

interface Asset {
  type: string;
  body: Buffer;
  /** Compressed forms, made on the first request that accepts one. */
  encoded: Map<'br' | 'gzip', Promise<Buffer>>;
}

interface Assets {
  /** URL path of each asset by name (the name holds the content's hash). */
  urls: Record<'css' | 'js' | 'editorWorkerService' | 'json' | 'graphql', string>;
  favicon: string;
  byPath: Map<string, Asset>;
}

let loading: Promise<Assets> | undefined;

/** The renderer's assets, loaded (9 MB of module) on the first GraphiQL request, not at start-up. */
function assets(): Promise<Assets> {
  loading ??= (async () => {
    // The module the package's renderer inlines into its page.
    const { css, js, editorWorkerService, jsonWorker, graphqlWorker, favicon } = await import(
      '@graphql-yoga/render-graphiql/graphiql'
    );
    const byPath = new Map<string, Asset>();
    const add = (name: string, content: string | Buffer | undefined, type: string) => {
      const body = Buffer.isBuffer(content) ? content : Buffer.from(content ?? '');
      const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
      const path = `${ASSETS_PATH}${hash}/${name}`;
      byPath.set(path, { type, body, encoded: new Map() });
      return path;
    };
    const javascript = 'text/javascript; charset=utf-8';
    return {
      urls: {
        css: add('graphiql.css', css, 'text/css; charset=utf-8'),
        js: add('graphiql.js', js, javascript),
        editorWorkerService: add('editor.worker.js', editorWorkerService, javascript),
        json: add('json.worker.js', jsonWorker, javascript),
        graphql: add('graphql.worker.js', graphqlWorker, javascript),
      },
      // The favicon comes as a data URI of 150 kB: a file of its own, cached like the rest.
      favicon: add(
        'favicon.ico',
        Buffer.from((favicon ?? '').replace(/^data:[^,]*;base64,/, ''), 'base64'),
        'image/x-icon',
      ),
      byPath,
    };
  })();
  return loading;
}

/** The GraphiQL page: a shell that loads the versioned assets (Yoga's renderer, split). */
export async function renderGraphiQLPage(options: Record<string, unknown>): Promise<string> {
  const { urls, favicon } = await assets();
  const attribute = (text: string) => text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
  // JSON in a script element: "</script>" and line separators must not end or break it.
  const json = (value: unknown) =>
    JSON.stringify(value).replaceAll('<', '\\u003c').replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${attribute(String(options.title ?? 'GraphiQL'))}</title>
    <link rel="icon" href="${attribute(favicon)}" />
    <link rel="stylesheet" href="${urls.css}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script>
      const workers = ${json({ editorWorkerService: urls.editorWorkerService, json: urls.json, graphql: urls.graphql })};
      self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_moduleId, label) => workers[label] };
    </script>
    <script src="${urls.js}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(window.document.querySelector('#root'), ${json(options)});
    </script>
  </body>
</html>
`;
}

function encode(asset: Asset, encoding: 'br' | 'gzip'): Promise<Buffer> {
  let body = asset.encoded.get(encoding);
  if (!body) {
    body =
      encoding === 'br'
        ? // Quality 9 packs within a few percent of 11 in a tenth of the time; done once per process.
          brotli(asset.body, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } })
        : gzipped(asset.body, { level: 9 });
    asset.encoded.set(encoding, body);
  }
  return body;
}

const etagOf = (text: string) => `"${createHash('sha256').update(text).digest('base64url').slice(0, 22)}"`;

/**
 * Serves the assets (compressed as the browser accepts, cached for a year: their URLs change
 * with their content) and gives the GraphiQL page a validator, so that a repeat visit is a 304.
 */
export function useGraphiQLAssets(): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(ASSETS_PATH) || request.method !== 'GET') return;
      const asset = (await assets()).byPath.get(url.pathname);
      if (!asset) {
        endResponse(new fetchAPI.Response('No such asset.\n', { status: 404 }));
        return;
      }
      const accepted = request.headers.get('accept-encoding') ?? '';
      const encoding = /\bbr\b/.test(accepted) ? 'br' : /\bgzip\b/.test(accepted) ? 'gzip' : undefined;
      const body = encoding ? await encode(asset, encoding) : asset.body;
      endResponse(
        new fetchAPI.Response(new Uint8Array(body), {
          headers: {
            'content-type': asset.type,
            'cache-control': 'public, max-age=31536000, immutable',
            vary: 'accept-encoding',
            ...(encoding ? { 'content-encoding': encoding } : {}),
          },
        }),
      );
    },
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (request.method !== 'GET' || !response.headers.get('content-type')?.startsWith('text/html')) return;
      const page = await response.text();
      const etag = etagOf(page);
      const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', etag };
      if (request.headers.get('if-none-match') === etag) {
        setResponse(new fetchAPI.Response(null, { status: 304, headers }));
      } else {
        setResponse(new fetchAPI.Response(page, { status: response.status, headers }));
      }
    },
  };
}
