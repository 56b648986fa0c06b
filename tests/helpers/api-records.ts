import { writeFileSync } from 'node:fs';

let serial = 0;

/** A Daily Papers API entry shaped like the real ones; tests override what they need. */
export function apiEntry(overrides: { paper?: Record<string, unknown>; [key: string]: unknown } = {}) {
  serial++;
  const { paper, ...top } = overrides;
  return {
    paper: {
      id: `2501.${String(10000 + serial)}`,
      title: `Synthetic API paper ${serial}:\n  agents that use tools`,
      summary: 'We build LLM agents that call tools\nand browse the web, trained with reinforcement learning.',
      authors: [
        { _id: 'a1', name: 'Ada Lovelace', hidden: false },
        { _id: 'a2', name: 'Alan Turing', hidden: true },
      ],
      publishedAt: '2025-01-02T10:00:00.000Z',
      upvotes: 5,
      ai_keywords: ['LLM agents', 'tool use'],
      ai_summary: 'Agents that use tools.',
      ...paper,
    },
    publishedAt: '2025-01-03T08:00:00.000Z',
    numComments: 2,
    _file_date: '2025-01-03',
    ...top,
  };
}

export function writeJsonl(file: string, lines: (object | string)[]): string {
  writeFileSync(file, `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
  return file;
}
