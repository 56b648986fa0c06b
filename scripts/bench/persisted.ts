// What a persisted document saves per request: the same operations sent as text and by
// documentId to an in-process app (app.fetch, no sockets) on the embedded database with the
// sample papers, in alternating rounds; and what parsing and validating each document costs
// when the server has not seen its text before (Yoga keeps the parsed and validated text of
// the last 1,024 documents it saw, so a repeated text skips most of that work too).
//   npm run bench:persisted [-- --requests 1500]
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse, validate } from 'graphql';
import { createDb } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { persistedDocuments } from '../../src/plugins/persisted-documents.ts';
import { createApp, EXAMPLE_QUERY, servedSchema } from '../../src/yoga.ts';

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '1500' } } });
const REQUESTS = Number(args.requests);

const OPERATIONS = {
  /** The Daily Papers page's list (examples/web): a page of 10 papers with topics and facets. */
  page: `query DailyPapers($filter: PaperFilter, $after: String) {
    papers(first: 10, after: $after, filter: $filter, orderBy: { field: UPVOTES, direction: DESC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id title upvotes publishedAt organization { name } topics { slug name } }
      facets(limit: 12) { topics { count topic { slug name } } }
    }
  }`,
  /** GraphiQL's example: nested, paginated and filtered. */
  example: EXAMPLE_QUERY,
  /** One paper by id: the smallest useful read. */
  paper: 'query Paper($id: ID!) { paper(id: $id) { id title upvotes } }',
};
type Name = keyof typeof OPERATIONS;
const VARIABLES: Record<Name, Record<string, unknown>> = { page: {}, example: {}, paper: { id: 'UGFwZXI6MQ' } };
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'papergraph-bench-persisted-'));
const db = await createDb({ dataDir });
try {
  await prepareDatabase(db, { sampleData: 'auto' });
  const manifest = Object.fromEntries(Object.values(OPERATIONS).map((text) => [sha256(text), text]));
  const app = await createApp({ db, persistedDocuments: persistedDocuments(manifest, servedSchema) });

  const send = async (body: string) => {
    const response = await app.fetch('http://bench.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body,
    });
    const json = (await response.json()) as { errors?: unknown };
    if (json.errors) throw new Error(JSON.stringify(json.errors));
  };
  /** µs of one request. */
  const once = async (body: string) => {
    const started = performance.now();
    await send(body);
    return (performance.now() - started) * 1000;
  };
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  /** Half the width of a 95% confidence interval of the mean. */
  const ci95 = (values: number[]) => {
    const m = mean(values);
    return (
      (1.96 * Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1))) / Math.sqrt(values.length)
    );
  };

  console.log(
    `${REQUESTS} requests of each kind, interleaved (text, id, unseen text, ...); embedded database, sample papers\n`,
  );
  console.log(
    'operation  text µs  by id µs  saved µs (95% CI)  unseen text µs  saved vs unseen µs  body bytes text/id  parse+validate µs',
  );
  for (const [name, text] of Object.entries(OPERATIONS) as [Name, string][]) {
    const variables = VARIABLES[name];
    const bodies = {
      text: JSON.stringify({ query: text, variables }),
      id: JSON.stringify({ documentId: `sha256:${sha256(text)}`, variables }),
    };
    for (let i = 0; i < 50; i++) {
      await send(bodies.text);
      await send(bodies.id);
    }
    // Paired samples, interleaved, so that the machine's other work weighs on each kind alike.
    const saved: number[] = [];
    const savedVsUnseen: number[] = [];
    const times = { text: [] as number[], id: [] as number[], unseen: [] as number[] };
    for (let i = 0; i < REQUESTS; i++) {
      const textUs = await once(bodies.text);
      const idUs = await once(bodies.id);
      // A text the server has not seen: what every text costs a server without a parse cache,
      // or one serving more distinct documents than its cache holds.
      const unseenUs = await once(JSON.stringify({ query: `${text}\n# ${i}`, variables }));
      times.text.push(textUs);
      times.id.push(idUs);
      times.unseen.push(unseenUs);
      saved.push(textUs - idUs);
      savedVsUnseen.push(unseenUs - idUs);
    }
    const runs = 2000;
    const started = performance.now();
    for (let i = 0; i < runs; i++) validate(servedSchema, parse(text));
    const parseValidate = ((performance.now() - started) / runs) * 1000;
    console.log(
      [
        name.padEnd(9),
        mean(times.text).toFixed(0).padStart(7),
        mean(times.id).toFixed(0).padStart(8),
        `${mean(saved).toFixed(0)} ± ${ci95(saved).toFixed(0)}`.padStart(17),
        mean(times.unseen).toFixed(0).padStart(14),
        `${mean(savedVsUnseen).toFixed(0)} ± ${ci95(savedVsUnseen).toFixed(0)}`.padStart(18),
        `${bodies.text.length}/${bodies.id.length}`.padStart(18),
        parseValidate.toFixed(0).padStart(17),
      ].join('  '),
    );
  }
} finally {
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
}
