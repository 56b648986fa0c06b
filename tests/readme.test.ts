// Every ```graphql example of README.md and docs/*.md, sent as a real GraphQL request to a
// database holding the bundled sample (the 47 papers of data/sample-daily-papers-page.txt), as
// a newcomer would paste it into GraphiQL. An example must answer without errors, and each of its
// root fields must hold at least one non-empty list, so that an example which silently finds
// nothing fails too. A mutation that starts with a `# with a write key` line is sent with one and
// must answer its payload type (not an error member). Snippets that cannot run on their own
// start with a `# not run` line and are only validated against the schema; schema excerpts use
// another fence.
import { readdirSync, readFileSync } from 'node:fs';
import { parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/auth.ts';
import { type App, createApp, servedSchema } from '../src/yoga.ts';
import { createTestDb, type TestDb } from './helpers/db.ts';
import { loadSample } from './helpers/fixtures.ts';
import { gql } from './helpers/gql.ts';

interface Example {
  /** Where it is, e.g. `README.md:52` (the line of its first GraphQL line). */
  at: string;
  /** Its first line, which names the test. */
  title: string;
  query: string;
  runnable: boolean;
  /** Sent with a write key: a mutation, whose answer must be its payload. */
  withKey: boolean;
}

const NOT_RUN = /^#\s*not run\b/i;
const WITH_KEY = /^#\s*with a write key\b/i;

/** The ```graphql blocks of a Markdown file, in order. */
function examplesOf(file: string): Example[] {
  const examples: Example[] = [];
  let block: { start: number; lines: string[] } | undefined;
  for (const [index, line] of readFileSync(file, 'utf8').split('\n').entries()) {
    if (!block) {
      if (/^\s*```graphql\s*$/.test(line)) block = { start: index + 2, lines: [] };
      continue;
    }
    if (/^\s*```\s*$/.test(line)) {
      const query = block.lines.join('\n');
      const title = block.lines.find((l) => l.trim() !== '')?.trim() ?? '(empty)';
      examples.push({
        at: `${file}:${block.start}`,
        title,
        query,
        runnable: !NOT_RUN.test(title),
        withKey: WITH_KEY.test(title),
      });
      block = undefined;
      continue;
    }
    block.lines.push(line);
  }
  if (block) throw new Error(`${file}:${block.start - 1}: a graphql block is not closed`);
  return examples;
}

const docs = readdirSync('docs')
  .filter((name) => name.endsWith('.md'))
  .sort()
  .map((name) => `docs/${name}`);
const files = ['README.md', ...docs];
const examples = files.map((file) => ({ file, examples: examplesOf(file) })).filter((f) => f.examples.length > 0);

/** How many non-empty lists a JSON value holds, at any depth. */
function nonEmptyLists(value: unknown): number {
  if (Array.isArray(value)) return (value.length > 0 ? 1 : 0) + value.reduce((n, v) => n + nonEmptyLists(v), 0);
  if (value && typeof value === 'object') return Object.values(value).reduce((n, v) => n + nonEmptyLists(v), 0);
  return 0;
}

let t: TestDb;
let app: App;
let key = '';

beforeAll(async () => {
  t = await createTestDb();
  await loadSample(t.db);
  app = await createApp({ db: t.db });
  key = (await createApiKey(t.db, 'readme examples', ['write'])).key;
});
afterAll(() => t.destroy());

it('README.md has runnable examples', () => {
  const readme = examples.find((e) => e.file === 'README.md')?.examples ?? [];
  expect(readme.filter((e) => e.runnable).length).toBeGreaterThanOrEqual(3);
});

for (const { file, examples: list } of examples) {
  describe(file, () => {
    for (const example of list) {
      const name = `${example.title} (${example.at})`;
      if (!example.runnable) {
        // It cannot run here (it needs a key, an id, or is a subscription), but it must still fit
        // the schema as served: a renamed field or argument fails.
        it(`${name}: fits the schema`, () => {
          expect(validate(servedSchema, parse(example.query)).map((e) => e.message)).toEqual([]);
        });
        continue;
      }
      it(name, async () => {
        const result = await gql(app, example.query, undefined, example.withKey ? { key } : {});
        expect(result.errors, `${example.at}: errors`).toBeUndefined();
        expect(result.status).toBe(200);
        const data = result.data ?? {};
        expect(Object.keys(data).length, `${example.at}: no data`).toBeGreaterThan(0);
        if (example.withKey) {
          for (const [field, value] of Object.entries(data)) {
            expect((value as { __typename?: string }).__typename, `${example.at}: ${field}`).toMatch(/Payload$/);
          }
          return;
        }
        for (const [field, value] of Object.entries(data)) {
          expect(value, `${example.at}: ${field} is null`).not.toBeNull();
          expect(nonEmptyLists(value), `${example.at}: ${field} holds no non-empty list`).toBeGreaterThan(0);
        }
      });
    }
  });
}
