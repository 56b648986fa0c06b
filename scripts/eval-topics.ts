// Measures the topic tagger against labelled papers: npm run eval:topics [labels.json ...]
// The papers go through the real path (import into a fresh in-memory database, tagging with
// the rules stored there), then the stored topics are compared with the labels.
// Labels files: [{ "title" | "arxiv_id", "topics": [...], "primary": "..." }]. Without
// arguments: the bundled page sample and its labels.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { createDb } from '../src/db/database.ts';
import { importFile } from '../src/import/import-file.ts';
import { prepareDatabase, SAMPLE_FILE } from '../src/setup.ts';
import { scoreTagging, type TopicSet } from '../src/topics/evaluation.ts';

interface Label {
  title?: string;
  arxiv_id?: string;
  topics: string[];
  primary: string;
}

const DEFAULT_LABELS = fileURLToPath(new URL('../data/topic-labels.daily-papers-page.json', import.meta.url));
const labelFiles = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const inputs = (process.argv.find((a) => a.startsWith('--input='))?.slice(8) ?? SAMPLE_FILE).split(',');

const db = await createDb({});
await prepareDatabase(db, { sampleData: 'off' });
for (const input of inputs) await importFile(db, input);

const rows = await sql<{ arxiv_id: string | null; title_key: string; slug: string | null }>`
  select p.arxiv_id, p.title_key, t.slug
  from papers p left join paper_topics pt on pt.paper_id = p.id left join topics t on t.id = pt.topic_id
  order by p.id, pt.score desc, t.position`.execute(db);
const predicted = new Map<string, string[]>();
for (const r of rows.rows) {
  for (const key of [r.arxiv_id ? `arxiv:${r.arxiv_id}` : null, `title:${r.title_key}`]) {
    if (!key) continue;
    const list = predicted.get(key) ?? [];
    if (r.slug) list.push(r.slug);
    predicted.set(key, list);
  }
}
const keyOf = async (label: Label) => {
  if (label.arxiv_id) return `arxiv:${label.arxiv_id}`;
  const result = await sql<{ k: string }>`select btrim(lower(regexp_replace(${label.title ?? ''}, '[^[:alnum:]]+', ' ', 'g'))) as k`.execute(db);
  return `title:${result.rows[0]?.k}`;
};

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
for (const file of labelFiles.length > 0 ? labelFiles : [DEFAULT_LABELS]) {
  const labels = JSON.parse(readFileSync(file, 'utf8')) as Label[];
  const pairs: { predicted: TopicSet; labelled: TopicSet }[] = [];
  let missing = 0;
  for (const label of labels) {
    const topics = predicted.get(await keyOf(label));
    if (!topics) {
      missing++;
      continue;
    }
    pairs.push({ predicted: { topics, primary: topics[0] ?? null }, labelled: { topics: label.topics, primary: label.primary } });
  }
  const s = scoreTagging(pairs);
  console.log(`${file}: ${s.papers} papers${missing ? ` (${missing} labelled papers not in the input)` : ''}`);
  console.log(`  precision ${s.precision.toFixed(3)}  recall ${s.recall.toFixed(3)}  micro-F1 ${s.f1.toFixed(3)}`);
  console.log(`  primary topic ranked first: ${pct(s.primaryAccuracy)}; first-ranked topic among the labels: ${pct(s.topInLabels)}`);
  console.log(`  (${s.truePositives} right of ${s.predicted} predicted, ${s.labelled} labelled)`);
}
await db.destroy();
