#!/usr/bin/env node
// The papergraph command. It runs the build (dist/, from `npm run build`) when there is one no
// older than the sources (an image ships dist/ without src/); otherwise the TypeScript sources
// through tsx, so a checkout runs without a build step.
import { readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const built = new URL('dist/src/cli.js', root);

/** The newest modification time under a folder; 0 when there is no such folder. */
function newest(dir) {
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  // A removed or renamed file changes its folder's time.
  return Math.max(stat.mtimeMs, ...readdirSync(dir).map((name) => newest(`${dir}/${name}`)));
}

function buildIsCurrent() {
  let builtAt;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    return false; // no build
  }
  return ['src', 'migrations'].every((dir) => newest(new URL(dir, root).pathname) <= builtAt);
}

if (buildIsCurrent()) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
