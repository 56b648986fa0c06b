// Writes a deterministic synthetic Daily Papers API file shaped like the real one, for the
// import benchmark: npm run generate -- --records 1000000 --out /tmp/papers-1m.jsonl
// Records are the real ones of ../shared/data (or the file given with --from) recombined:
// new arXiv ids and title variants, the real abstracts, authors, keywords and counts.

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    out: { type: 'string', default: 'papers-synthetic.jsonl' },
    from: { type: 'string', default: '../shared/data/hf-daily-papers.jsonl' },
  },
});
const total = Number(values.records);
if (!Number.isSafeInteger(total) || total < 1) throw new Error('--records must be a positive whole number');

const source: Record<string, unknown>[] = [];
for await (const line of createInterface({ input: createReadStream(values.from) })) {
  if (line.trim()) source.push(JSON.parse(line) as Record<string, unknown>);
}
const out = createWriteStream(values.out);
for (let i = 0; i < total; i++) {
  const base = source[i % source.length] as { paper: Record<string, unknown> } & Record<string, unknown>;
  const round = Math.floor(i / source.length);
  // Ids 2601.00000 upwards: 5-digit numbers within a month, months rolling over.
  const month = 1 + (Math.floor(i / 100000) % 12);
  const year = 26 + Math.floor(i / 1200000);
  const id = `${year}${String(month).padStart(2, '0')}.${String(i % 100000).padStart(5, '0')}`;
  const record = {
    ...base,
    paper: { ...base.paper, id, title: round === 0 ? base.paper.title : `${base.paper.title} (variant ${round})` },
  };
  if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
}
out.end();
await once(out, 'finish');
console.log(`wrote ${total} records to ${values.out}`);
