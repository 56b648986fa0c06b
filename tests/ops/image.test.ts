import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// No Docker engine runs here: the image's command is run the way the image runs it instead.
// The app folder holds what the image copies (dist/, bin/, package.json, node_modules), mounted
// read-only in a mount namespace of its own; the server runs as uid 1000 (the image's `node`
// user) without capabilities, with the image's environment, and must answer the image's
// HEALTHCHECK, serve the sample from its DATA_DIR volume, and stop cleanly on SIGTERM.
const ROOT = path.resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
const imageEnv = Object.fromEntries(
  [...(/^ENV (.+)$/m.exec(runtimeStage)?.[1] ?? '').matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]),
);
const healthcheck = JSON.parse(
  /^\s*CMD (\[.*\])$/m.exec(runtimeStage.slice(runtimeStage.indexOf('HEALTHCHECK')))?.[1] ?? '[]',
) as string[];

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('skipping the image test: it needs root (unshare and setpriv), as CI has');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'papergraph-image-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.runIf(isRoot)('the image, as it runs', () => {
  it('listens on every interface, passes its healthcheck, serves the sample from its volume, stops on SIGTERM', async () => {
    // The build stage: dist/ from the sources, as `npm run build` makes it.
    const app = path.join(tmp, 'app');
    mkdirSync(app);
    execFileSync(
      path.join(ROOT, 'node_modules/.bin/tsc'),
      ['-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(app, 'dist')],
      { cwd: ROOT, stdio: 'inherit' },
    );
    // What `npm run build` copies next to the code.
    cpSync(path.join(ROOT, 'data'), path.join(app, 'dist/data'), { recursive: true });
    cpSync(path.join(ROOT, 'package.json'), path.join(app, 'dist/package.json'));
    cpSync(path.join(ROOT, 'bin'), path.join(app, 'bin'), { recursive: true });
    cpSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'));
    // The volume, owned by the image's user (the image's `chown node:node /data`).
    const data = path.join(tmp, 'data');
    mkdirSync(data);
    chownSync(data, 1000, 1000);
    chmodSync(data, 0o700);
    chmodSync(tmp, 0o755);
    const readOnly = path.join(tmp, 'ro');
    mkdirSync(readOnly);
    const port = String(40_000 + (process.pid % 20_000));
    const env = {
      ...imageEnv,
      DATA_DIR: data,
      PORT: port,
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: '/nonexistent',
    };
    const script = [
      `mount --bind ${app} ${readOnly} && mount -o remount,bind,ro ${readOnly}`,
      `cd ${readOnly}`,
      `exec setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all --no-new-privs ${process.execPath} bin/papergraph.js serve`,
    ].join(' && ');
    writeFileSync(path.join(tmp, 'run.sh'), script);
    const server = spawn('unshare', ['-m', 'sh', path.join(tmp, 'run.sh')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout.on('data', (c) => (output += String(c)));
    server.stderr.on('data', (c) => (output += String(c)));
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    try {
      // The image's HEALTHCHECK command, as Docker runs it, until it passes.
      const check = () =>
        new Promise<boolean>((resolve) => {
          const [cmd = 'node', ...args] = healthcheck;
          const probe = spawn(cmd === 'node' ? process.execPath : cmd, args, { env: { ...env } });
          probe.on('exit', (code) => resolve(code === 0));
        });
      const deadline = Date.now() + 150_000;
      let healthy = false;
      while (!healthy && Date.now() < deadline && server.exitCode === null) {
        healthy = await check();
        if (!healthy) await new Promise((r) => setTimeout(r, 500));
      }
      expect(healthy, output).toBe(true);
      expect(output).toContain(`"host":"0.0.0.0"`);
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ papers(first: 1) { totalCount } }' }),
      });
      expect(await response.json()).toEqual({
        data: { papers: { totalCount: 47 } },
        extensions: expect.anything(),
      });
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  }, 240_000);
});
