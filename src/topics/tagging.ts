import type { Db } from '../db/database.ts';
import { type PaperTopicInput, replacePaperTopics } from '../db/queries/paper-topics.ts';
import { findPaperTexts } from '../db/queries/papers.ts';
import { findAllTopics, findTopicRules } from '../db/queries/topics.ts';
import { compileFallback, withFallback } from './fallback.ts';
import { compileTagger, type TaggablePaper, type Tagger } from './tagger.ts';

/**
 * A tagger built from what the database holds now: the topic rules, and for papers no rule
 * matches, the wording of the taggable topics' descriptions.
 */
export async function loadTagger(db: Db): Promise<Tagger> {
  const rules = await findTopicRules(db);
  const topics = await findAllTopics(db);
  const parents = new Set(topics.map((t) => t.parent_id));
  const taggable = topics.filter((t) => !parents.has(t.id));
  // Compiling some 500 rules takes tens of milliseconds: reuse the last tagger while the
  // rules and topics it was built from are unchanged (a mutation of a topic changes them).
  const key = JSON.stringify([rules, taggable.map((t) => [t.slug, t.name, t.description])]);
  if (lastTagger?.key !== key) {
    lastTagger = { key, tagger: withFallback(compileTagger(rules), compileFallback(taggable)) };
  }
  return lastTagger.tagger;
}

let lastTagger: { key: string; tagger: Tagger } | undefined;

const CHUNK = 2000;

/** Tags papers whose text the caller holds, replacing their topics (two statements per chunk). */
export async function tagPaperTexts(
  db: Db,
  tagger: Tagger,
  papers: readonly (TaggablePaper & { id: number })[],
): Promise<void> {
  if (papers.length === 0) return;
  const topicIds = new Map((await findAllTopics(db)).map((t) => [t.slug, t.id]));
  for (let i = 0; i < papers.length; i += CHUNK) {
    const chunk = papers.slice(i, i + CHUNK);
    const rows: PaperTopicInput[] = [];
    for (const paper of chunk) {
      for (const tag of tagger.tag(paper)) {
        const topicId = topicIds.get(tag.topic);
        if (topicId !== undefined) rows.push({ paper_id: paper.id, topic_id: topicId, score: tag.score });
      }
    }
    await replacePaperTopics(
      db,
      chunk.map((p) => p.id),
      rows,
    );
  }
}

/**
 * Re-tags these papers (every paper when ids is undefined) from their stored text, replacing
 * their topics. Returns how many papers were tagged. Run it inside the caller's transaction.
 */
export async function tagPapers(db: Db, tagger: Tagger, ids?: readonly number[]): Promise<number> {
  const papers = await findPaperTexts(db, ids);
  await tagPaperTexts(db, tagger, papers);
  return papers.length;
}
