/**
 * How the tagger turns rule matches into topic scores (the formula is in tagger.ts's header): the weights of the
 * title, abstract and keywords, the saturation of body evidence, and the thresholds that decide which topics a
 * paper keeps. Pure arithmetic on match counts, apart from the matching itself.
 */

/** A topic the tagger assigns to a paper. */
export interface TopicTag {
  topic: string;
  /** In (0, 1], rounded to 3 decimals. */
  score: number;
}

/** A title match is the strongest signal: titles name the contribution; abstracts also mention context and baselines. */
export const TITLE_FACTOR = 3;
/**
 * AI-generated keywords, when present, mostly restate the abstract: they count like a second abstract (and share its
 * cap), so that papers with keywords do not get many more tags than papers without.
 */
export const KEYWORD_FACTOR = 1;
/** Value of the first abstract match; n matches are worth 1 + ln(n) times this. */
export const ABSTRACT_FACTOR = 1;

/**
 * The evidence from the abstract and keywords of one topic saturates towards this value (cap * (1 - exp(-x / cap))),
 * so that a topic discussed at length in the abstract does not drown what the title says the paper is about.
 */
export const BODY_CAP = 12;
/** Raw evidence at which the score reaches 1 - 1/e = 0.632, about a weight-2 rule in the title plus a few mentions. */
export const SCORE_SCALE = 8;
/**
 * Absolute floor for a topic to be kept: 0.45 is the score of raw evidence 4.8, e.g. a weight-2 rule in the title
 * (6), a weight-3 rule matched twice in the abstract (5.1) or a few weaker rules together. A single passing mention
 * in the abstract, even of a weight-4 rule (4), stays below it. (On a development set, 0.4 to 0.5 worked about equally;
 * lower adds more neighbouring topics, higher drops secondary ones.)
 */
export const MIN_SCORE = 0.45;
/**
 * Relative floor: a further topic must have at least this share of the best topic's raw evidence. Abstracts
 * mention many neighbouring topics in passing; this drops those far below the main one without cutting genuine
 * secondary topics (papers typically have 2 or 3). Chosen on four labelled sets of API records: from 0.2 to 0.3
 * precision rose more than recall fell (micro-F1 +0.01), and beyond 0.35 recall fell faster.
 */
export const RELATIVE_THRESHOLD = 0.3;
/** At most this many topics per paper: beyond four, the extra tags of a coarse taxonomy are mostly noise. */
export const MAX_TOPICS = 4;

/** What one rule contributes, as far as scoring goes. */
export interface ScoredRule {
  topicIndex: number;
  weight: number;
}

/** Match counts per rule (indexed like the rules) in each part of one paper. */
export interface RuleCounts {
  title: Uint32Array;
  keywords: Uint32Array;
  abstract: Uint32Array;
}

/**
 * The tags of one paper, best first: title evidence adds up, the evidence of the abstract and keywords saturates
 * per topic (see BODY_CAP), and topics are kept while they clear MIN_SCORE and RELATIVE_THRESHOLD.
 */
export function scoreTopics(topics: readonly string[], rules: readonly ScoredRule[], counts: RuleCounts): TopicTag[] {
  const title = new Float64Array(topics.length);
  const body = new Float64Array(topics.length);
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r];
    if (!rule) continue;
    const t = rule.topicIndex;
    if ((counts.title[r] ?? 0) > 0) title[t] = (title[t] ?? 0) + rule.weight * TITLE_FACTOR;
    const b = KEYWORD_FACTOR * diminish(counts.keywords[r] ?? 0) + ABSTRACT_FACTOR * diminish(counts.abstract[r] ?? 0);
    if (b > 0) body[t] = (body[t] ?? 0) + rule.weight * b;
  }
  const raw = new Float64Array(topics.length);
  for (let t = 0; t < topics.length; t++) {
    raw[t] = (title[t] ?? 0) + BODY_CAP * (1 - Math.exp(-(body[t] ?? 0) / BODY_CAP));
  }

  const ranked: number[] = [];
  for (let i = 0; i < topics.length; i++) if ((raw[i] ?? 0) > 0) ranked.push(i);
  if (ranked.length === 0) return [];
  // Array.prototype.sort is stable and `ranked` is in first-appearance order, so ties keep that order.
  ranked.sort((a, b) => (raw[b] ?? 0) - (raw[a] ?? 0));

  const best = raw[ranked[0] ?? 0] ?? 0;
  const tags: TopicTag[] = [];
  for (const i of ranked) {
    if (tags.length >= MAX_TOPICS) break;
    const value = raw[i] ?? 0;
    const score = toScore(value);
    if (score < MIN_SCORE || value < RELATIVE_THRESHOLD * best) break;
    tags.push({ topic: topics[i] ?? '', score });
  }
  if (tags.length === 0) {
    // Something matched but nothing cleared the thresholds: return the single best guess.
    const i = ranked[0] ?? 0;
    tags.push({ topic: topics[i] ?? '', score: toScore(raw[i] ?? 0) });
  }
  return tags;
}

function diminish(n: number): number {
  return n > 0 ? 1 + Math.log(n) : 0;
}

function toScore(raw: number): number {
  const score = Math.round((1 - Math.exp(-raw / SCORE_SCALE)) * 1000) / 1000;
  return Math.min(1, Math.max(0.001, score));
}
