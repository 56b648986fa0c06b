// The tagger meets the database: it is built from the stored rules, and tags papers by
// replacing their topics. (topics/tagger.ts is the pure engine.)
import type { Db } from '../db/database.ts';
import { type PaperTopicInput, replacePaperTopics } from '../db/queries/paper-topics.ts';
import { findPaperTexts } from '../db/queries/papers.ts';
import { findTopicRules, type TopicRuleRow } from '../db/queries/topic-rules.ts';
import { findLeafTopics } from '../db/queries/topic-tree.ts';
import { findAllTopics } from '../db/queries/topics.ts';
import { compileFallback, withFallback } from './fallback.ts';
import { compileTagger, type TaggablePaper, type Tagger } from './tagger.ts';

/**
 * A tagger built from what the database holds now: the topic rules, and for papers no rule
 * matches, the wording of the taggable topics' descriptions.
 */
export async function loadTagger(db: Db): Promise<Tagger> {
  const rules = await findTopicRules(db);
  const taggable = await findLeafTopics(db);
  // Compiling some 500 rules takes tens of milliseconds: reuse the last tagger while the
  // rules and topics it was built from are unchanged (a mutation of a topic changes them).
  const key = JSON.stringify([rules, taggable.map((t) => [t.slug, t.name, t.description])]);
  if (lastTagger?.key !== key) {
    // A stored rule the rule language refuses (one written before it was restricted) is left
    // out, not allowed to stop all tagging: invalidRules() names it, and the server logs it.
    const invalid: InvalidRule[] = [];
    const valid = rules.filter((rule) => {
      try {
        compileTagger([rule]);
        return true;
      } catch (error) {
        invalid.push({ ...rule, reason: (error as Error).message });
        return false;
      }
    });
    lastTagger = { key, tagger: withFallback(compileTagger(valid), compileFallback(taggable)), invalid };
  }
  return lastTagger.tagger;
}

export interface InvalidRule extends TopicRuleRow {
  reason: string;
}

let lastTagger: { key: string; tagger: Tagger; invalid: InvalidRule[] } | undefined;

/** The stored rules the last tagger left out because they are not valid, and why. */
export function invalidRules(): InvalidRule[] {
  return lastTagger?.invalid ?? [];
}

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
