import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparedDataDir } from './helpers/db.ts';

const run = promisify(execFile);
const BIN = path.resolve('bin/papergraph.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'papergraph-cli-'));
// Most commands run on a database that is already migrated, as an operator's is.
beforeAll(() => preparedDataDir(path.join(tmp, 'db')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the papergraph command on its own embedded database; returns code and output. */
async function papergraph(args: string[], env: Record<string, string> = {}) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: path.join(tmp, 'db'), ...env };
  delete childEnv.DATABASE_URL;
  try {
    const { stdout, stderr } = await run('node', [BIN, ...args], { env: { ...childEnv, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the papergraph command', () => {
  it('--help lists the commands', async () => {
    const { code, stdout } = await papergraph(['--help']);
    expect(code).toBe(0);
    for (const command of ['serve', 'migrate', 'import', 'retag']) expect(stdout).toContain(command);
  });

  it('refuses a bad setting with a clear message and exit code 2', async () => {
    const { code, stderr } = await papergraph(['migrate'], { PORT: 'abc' });
    expect(code).toBe(2);
    expect(stderr).toContain('PORT="abc": must be a number');
  });

  it('ends every bad argument with exit code 2, as the help says', async () => {
    for (const args of [
      ['no-such-command'],
      ['import', '--format', 'bogus', 'x.jsonl'],
      ['sync', '--since', '2026-13-01'],
    ]) {
      const { code, stderr } = await papergraph(args);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(stderr).toMatch(/^error: /);
    }
  });

  it('migrates an empty database, then has nothing to do', { timeout: 120_000 }, async () => {
    const env = { DATA_DIR: path.join(tmp, 'empty') };
    expect((await papergraph(['migrate'], env)).stdout).toMatch(/Applied: .*create_core_tables/);
    expect((await papergraph(['migrate'], env)).stdout).toContain('Nothing to do.');
  });

  it('imports a page, reporting skipped blocks by line, idempotently', async () => {
    const page = path.join(tmp, 'page.txt');
    writeFileSync(
      page,
      [
        'Daily Papers',
        'Jan 8',
        'First Paper',
        'An abstract about large language model pre-training on web-scale corpora.',
        '  • 3 authors',
        '·',
        'Mar 22, 2024 2',
        'Second Paper Without Abstract',
        '  • 2 authors',
        '·',
        'Mar 23, 2024',
      ].join('\n'),
    );
    const first = await papergraph(['import', page]);
    // A run that skipped records says so in its exit code, unless told to accept that.
    expect(first.code).toBe(3);
    expect(first.stderr).toContain(`${page}:8: skipped: paper "Second Paper Without Abstract" has no abstract`);
    expect(first.stdout).toContain('read 2, created 1, updated 0, unchanged 0, skipped 1');
    const again = await papergraph(['import', '--allow-skipped', page]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('read 2, created 0, updated 0, unchanged 1, skipped 1');
  });

  it('fails with a message and exit code 1 for a missing file', async () => {
    const { code, stderr } = await papergraph(['import', path.join(tmp, 'nope.txt')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/import failed: .*nope\.txt/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects a bad --featured-on date', async () => {
    const { code, stderr } = await papergraph(['import', '--featured-on', 'Jan 8', 'x.txt']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('expected a date as YYYY-MM-DD');
  });
});
