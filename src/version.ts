import { readFileSync } from 'node:fs';

/**
 * papergraph's version, from its package.json: the project root's when run from the sources,
 * the copy `npm run build` puts in dist/ when run from the build (both are ../package.json
 * from here).
 */
export const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
