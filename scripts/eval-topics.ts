// Measures the topic tagger against labelled papers: npm run eval:topics [labels.json ...]
// The papers go through the real path (import into a fresh in-memory database, tagging with
// the rules stored there), then the stored topics are compared with the labels.
// Labels files: [{ "title" | "arxiv_id", "topics": [...], "primary": "..." }]. Without
// arguments: the bundled page sample and its labels.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDb } from '../src/db/database.ts';
import { prepareDatabase, SAMPLE_FILE } from '../src/db/prepare.ts';
import { titleKeys } from '../src/db/queries/paper-imports.ts';
import { findTopicSlugsOfAllPapers } from '../src/db/queries/topics.ts';
import { importFile } from '../src/import/import-file.ts';
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

const predicted = new Map<string, string[]>();
for (const paper of await findTopicSlugsOfAllPapers(db)) {
  if (paper.arxiv_id) predicted.set(`arxiv:${paper.arxiv_id}`, paper.slugs);
  predicted.set(`title:${paper.title_key}`, paper.slugs);
}
const keyOf = async (label: Label) =>
  label.arxiv_id ? `arxiv:${label.arxiv_id}` : `title:${(await titleKeys(db, [label.title ?? '']))[0]}`;

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
    pairs.push({
      predicted: { topics, primary: topics[0] ?? null },
      labelled: { topics: label.topics, primary: label.primary },
    });
  }
  const s = scoreTagging(pairs);
  console.log(`${file}: ${s.papers} papers${missing ? ` (${missing} labelled papers not in the input)` : ''}`);
  console.log(`  precision ${s.precision.toFixed(3)}  recall ${s.recall.toFixed(3)}  micro-F1 ${s.f1.toFixed(3)}`);
  console.log(
    `  primary topic ranked first: ${pct(s.primaryAccuracy)}; first-ranked topic among the labels: ${pct(s.topInLabels)}`,
  );
  console.log(`  (${s.truePositives} right of ${s.predicted} predicted, ${s.labelled} labelled)`);
}
await db.destroy();
