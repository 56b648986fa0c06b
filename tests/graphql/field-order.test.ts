// Responses list each object's fields in the order the query asks for them (the GraphQL spec's
// "Serialized Map Ordering"), whichever of them resolve later (loaders) or at once.
import { type FieldNode, Kind, parse, type SelectionSetNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/yoga.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { loadSample } from '../helpers/fixtures.ts';
import { gqlData } from '../helpers/gql.ts';

let t: TestDb;
let app: App;

beforeAll(async () => {
  t = await createTestDb();
  await loadSample(t.db);
  app = await createApp({ db: t.db });
});

afterAll(() => t?.destroy());

/** Every place where the response's keys differ from the selection's response names, by path. */
function misordered(value: unknown, selection: SelectionSetNode, path = 'data'): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => misordered(item, selection, `${path}.${i}`));
  if (value === null || typeof value !== 'object') return [];
  const fields = selection.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);
  const expected = fields.map((f) => f.alias?.value ?? f.name.value);
  const actual = Object.keys(value);
  const problems = actual.join() === expected.join() ? [] : [`${path}: ${actual.join()} instead of ${expected.join()}`];
  for (const field of fields) {
    if (!field.selectionSet) continue;
    const key = field.alias?.value ?? field.name.value;
    problems.push(...misordered((value as Record<string, unknown>)[key], field.selectionSet, `${path}.${key}`));
  }
  return problems;
}

const QUERIES = [
  `{ papers(first: 5) { nodes { id title topics { name slug } upvotes trendingScore organization { displayName name } authorsCount } totalCount } }`,
  `{ b: papers(first: 2, orderBy: { field: UPVOTES }) { totalCount nodes { title id } } a: topics(rootsOnly: true) { slug children { paperCount name id } } }`,
  `{ search(query: "language models", first: 3) { edges { node { topics { slug } id } rank cursor } mode totalCount } }`,
];

describe('field order', () => {
  for (const query of QUERIES) {
    it(`follows the query: ${query.slice(0, 60)}…`, async () => {
      const data = await gqlData(app, query);
      const operation = parse(query).definitions[0];
      if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new Error('no operation');
      expect(misordered(data, operation.selectionSet)).toEqual([]);
    });
  }
});
