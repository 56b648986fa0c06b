/**
 * Rule-based topic tagger. Pure and dependency-free: the rules (normally the rows of the
 * `topic_rules` table, seeded from data/topic-rules.json) come in as data, are compiled once,
 * and the returned tagger scores a paper's title, abstract and optional keywords against them.
 *
 * Scoring, per topic: every rule that matches adds `weight * evidence`, where evidence is
 *   TITLE_FACTOR              if the pattern matches the title (once, however often it matches),
 * + KEYWORD_FACTOR * d(k)     for k matching keywords,
 * + ABSTRACT_FACTOR * d(n)    for n matches in the abstract,
 * with d(n) = 1 + ln(n) (diminishing returns: 1, 1.69, 2.10, 2.39, ...).
 * The raw sum is squashed to a score in (0, 1] by 1 - exp(-raw / SCORE_SCALE).
 * Topics are ranked by raw evidence; ties keep the order in which topics first appear in the rules.
 */

export interface TopicRule {
  /** Slug of a taggable topic. */
  topic: string;
  /** Case-insensitive regular expression source; the tagger wraps it in word boundaries. */
  pattern: string;
  weight: number;
}

export interface TaggablePaper {
  title: string;
  abstract: string;
  keywords?: readonly string[] | null;
}

export interface TopicTag {
  topic: string;
  /** In (0, 1], rounded to 3 decimals. */
  score: number;
}

export interface Tagger {
  /** 0 to MAX_TOPICS tags, best first. */
  tag(paper: TaggablePaper): TopicTag[];
}

/** A title match is the strongest signal: titles name the contribution, abstracts also name context and baselines. */
export const TITLE_FACTOR = 3;
/** Keywords (AI-generated, when present) are curated but longer and noisier than the title. */
export const KEYWORD_FACTOR = 1.5;
/** Base value of the first abstract match; further matches add 1 + ln(n) in total. */
export const ABSTRACT_FACTOR = 1;

/** Raw evidence at which the score reaches 1 - 1/e (0.632): about one weight-2 rule in the title plus a mention or two. */
export const SCORE_SCALE = 8;
/**
 * Absolute floor for a topic to be kept: raw evidence >= 3, i.e. a weight-1 rule in the title, a weight-2 rule
 * matched twice in the abstract or a couple of weaker rules. A single passing mention (one weight-2 abstract match)
 * stays below it, so topics mentioned only in passing are dropped.
 */
export const MIN_SCORE = 0.313;
/**
 * Relative floor: a secondary topic must have at least this share of the best topic's raw evidence.
 * Abstracts mention many neighbouring topics; this keeps only those that are of a similar order.
 */
export const RELATIVE_THRESHOLD = 0.3;
/** At most this many topics per paper (the taxonomy is coarse enough that more is noise). */
export const MAX_TOPICS = 4;

interface CompiledRule {
  topicIndex: number;
  weight: number;
  regex: RegExp;
}

// Constructs that JavaScript accepts but PostgreSQL's regex engine does not (or treats differently):
// lookbehind `(?<=` `(?<!` and named groups `(?<name>`. Rules must also work in the database.
const UNPORTABLE = /\(\?</;

function ruleLabel(rule: TopicRule): string {
  return `topic rule ${JSON.stringify(rule.topic)} / ${JSON.stringify(rule.pattern)}`;
}

/** Compiles the rules once; throws an Error naming the rule when one is invalid. */
export function compileTagger(rules: readonly TopicRule[]): Tagger {
  const topics: string[] = [];
  const topicIndexBySlug = new Map<string, number>();
  const compiled: CompiledRule[] = [];

  for (const rule of rules) {
    if (typeof rule.pattern !== 'string' || rule.pattern.trim() === '') {
      throw new Error(`Invalid ${ruleLabel(rule)}: the pattern is empty`);
    }
    if (typeof rule.weight !== 'number' || !Number.isFinite(rule.weight) || rule.weight <= 0) {
      throw new Error(`Invalid ${ruleLabel(rule)}: the weight must be a positive number`);
    }
    if (UNPORTABLE.test(rule.pattern)) {
      throw new Error(`Invalid ${ruleLabel(rule)}: lookbehind and named groups are not supported`);
    }
    let regex: RegExp;
    try {
      regex = new RegExp(`\\b(?:${rule.pattern})\\b`, 'gi');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`Invalid ${ruleLabel(rule)}: not a valid regular expression (${reason})`);
    }
    if (new RegExp(`^(?:${rule.pattern})$`, 'i').test('')) {
      throw new Error(`Invalid ${ruleLabel(rule)}: the pattern matches the empty string`);
    }
    let topicIndex = topicIndexBySlug.get(rule.topic);
    if (topicIndex === undefined) {
      topicIndex = topics.length;
      topics.push(rule.topic);
      topicIndexBySlug.set(rule.topic, topicIndex);
    }
    compiled.push({ topicIndex, weight: rule.weight, regex });
  }

  return {
    tag(paper: TaggablePaper): TopicTag[] {
      const title = clean(paper.title);
      const abstract = clean(paper.abstract);
      const keywords = (paper.keywords ?? []).map(clean).filter((k) => k !== '');
      const raw = new Float64Array(topics.length);

      for (const rule of compiled) {
        let evidence = 0;
        if (title !== '' && hasMatch(rule.regex, title)) evidence += TITLE_FACTOR;
        if (keywords.length > 0) {
          let k = 0;
          for (const keyword of keywords) if (hasMatch(rule.regex, keyword)) k++;
          if (k > 0) evidence += KEYWORD_FACTOR * diminish(k);
        }
        if (abstract !== '') {
          const n = countMatches(rule.regex, abstract);
          if (n > 0) evidence += ABSTRACT_FACTOR * diminish(n);
        }
        if (evidence > 0) raw[rule.topicIndex] = (raw[rule.topicIndex] ?? 0) + rule.weight * evidence;
      }

      const ranked: number[] = [];
      for (let i = 0; i < topics.length; i++) if ((raw[i] ?? 0) > 0) ranked.push(i);
      if (ranked.length === 0) return [];
      // Array.prototype.sort is stable, and `ranked` is in first-appearance order, so ties keep that order.
      ranked.sort((a, b) => (raw[b] ?? 0) - (raw[a] ?? 0));

      const best = raw[ranked[0] ?? 0] ?? 0;
      const tags: TopicTag[] = [];
      for (const i of ranked) {
        if (tags.length >= MAX_TOPICS) break;
        const r = raw[i] ?? 0;
        const score = toScore(r);
        if (score < MIN_SCORE || r < RELATIVE_THRESHOLD * best) break;
        tags.push({ topic: topics[i] ?? '', score });
      }
      if (tags.length === 0) {
        // Something matched but nothing cleared the thresholds: the single best guess.
        const i = ranked[0] ?? 0;
        tags.push({ topic: topics[i] ?? '', score: toScore(raw[i] ?? 0) });
      }
      return tags;
    },
  };
}

function diminish(n: number): number {
  return 1 + Math.log(n);
}

function toScore(raw: number): number {
  const score = Math.round((1 - Math.exp(-raw / SCORE_SCALE)) * 1000) / 1000;
  return Math.min(1, Math.max(0.001, score));
}

// URLs and bare domains in abstracts (project pages, GitHub links) would otherwise match rules
// (`github.com/org/code-llm`); LaTeX math delimiters and markup are dropped, whitespace collapsed.
const URL = /\b(?:https?:\/\/|www\.)\S+|\b[\w.-]+\.(?:com|org|io|ai|net|edu|dev|co)(?:\/\S*)?/gi;
const LATEX = /\\(?:text|mathrm|mathbf|mathcal|emph|textbf|textit|texttt)\{|[$\\{}]/g;
const SPACE = /\s+/g;

function clean(text: string | null | undefined): string {
  if (!text) return '';
  return text.replace(URL, ' ').replace(LATEX, ' ').replace(SPACE, ' ').trim();
}

function hasMatch(regex: RegExp, text: string): boolean {
  regex.lastIndex = 0;
  return regex.test(text);
}

function countMatches(regex: RegExp, text: string): number {
  regex.lastIndex = 0;
  let n = 0;
  let match = regex.exec(text);
  while (match !== null) {
    n++;
    // Patterns cannot match the empty string (checked at compile time); guard the loop anyway.
    if (match[0] === '') regex.lastIndex++;
    match = regex.exec(text);
  }
  return n;
}
