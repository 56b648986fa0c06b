// Builds the Daily Papers page into .papergraph/web (beside the embedded database: built files,
// neither committed nor linted): one ES module bundle (esbuild), the HTML and CSS as they are,
// and the manifest of the persisted documents it sends (the server loads it with WEB_APP=on).
// Run `npm run build:web` (codegen first, then this).
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const out = here('../../.papergraph/web/');

mkdirSync(out, { recursive: true });
await build({
  entryPoints: [here('src/main.ts')],
  outfile: `${out}app.js`,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(here('index.html'), `${out}index.html`);
copyFileSync(here('style.css'), `${out}style.css`);
copyFileSync(here('../client/dist/gql/persisted-documents.json'), `${out}persisted-documents.json`);
console.log(`.papergraph/web: app.js ${statSync(`${out}app.js`).size} bytes`);
