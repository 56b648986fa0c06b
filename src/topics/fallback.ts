// When no rule matches a paper, the tagger still owes it a topic: the one whose name and
// description share the most (rare) words with the paper's title, abstract and keywords.
import type { TaggablePaper, Tagger, TopicTag } from './tagger.ts';

export interface DescribedTopic {
  slug: string;
  name: string;
  description: string;
}

/** A fallback topic's score: low, so that it reads as the weak guess it is. */
export const FALLBACK_SCORE = 0.1;

const STOPWORDS = new Set(
  'about after also and are based between both but can for from have how into its more most new not other our over such than that the their them these they this through using what when which while with within without'.split(
    ' ',
  ),
);

function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z][a-z0-9-]{2,}/g) ?? [])
    .map((w) => w.replace(/(ies|es|s)$/, ''))
    .filter((w) => w.length >= 3 && !STOPWORDS.has(w));
}

/** A tagger that returns the single topic most similar in wording, or nothing when no word is shared. */
export function compileFallback(topics: readonly DescribedTopic[]): Tagger {
  const vocab = topics.map((t) => ({
    slug: t.slug,
    words: new Set(words(`${t.name} ${t.description} ${t.slug.replace(/-/g, ' ')}`)),
  }));
  // A word in few topics' descriptions says more than one in many.
  const spread = new Map<string, number>();
  for (const t of vocab) for (const w of t.words) spread.set(w, (spread.get(w) ?? 0) + 1);
  return {
    tag(paper: TaggablePaper): TopicTag[] {
      const text = new Set(
        words(`${paper.title} ${paper.title} ${paper.abstract} ${(paper.keywords ?? []).join(' ')}`),
      );
      let best: { slug: string; score: number } | undefined;
      for (const t of vocab) {
        let score = 0;
        for (const w of t.words) if (text.has(w)) score += 1 / (spread.get(w) ?? 1);
        if (score > 0 && (!best || score > best.score)) best = { slug: t.slug, score };
      }
      return best ? [{ topic: best.slug, score: FALLBACK_SCORE }] : [];
    },
  };
}

/** The rules first; the fallback only for a paper the rules say nothing about. */
export function withFallback(rules: Tagger, fallback: Tagger): Tagger {
  return {
    tag(paper) {
      const tags = rules.tag(paper);
      return tags.length > 0 ? tags : fallback.tag(paper);
    },
  };
}
