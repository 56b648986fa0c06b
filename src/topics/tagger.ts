/**
 * Rule-based topic tagger. Pure: the rules (normally the rows of the `topic_rules` table, seeded from
 * data/topic-rules.json) come in as data, are compiled once, and the returned tagger scores a paper's title,
 * abstract and optional keywords against them.
 *
 * A rule's pattern is a case-insensitive regular expression, matched on word boundaries (the tagger wraps it in
 * `\b(?:...)\b`), in the language rule-pattern.ts describes: what JavaScript and PostgreSQL share, lookahead only
 * as `X(?=Y)` at the end of a top-level alternative, no backreferences. Every rule runs in time linear in the text:
 * on JavaScript's engine when that is provably so, on RE2JS, a linear-time engine, otherwise (rule-matcher.ts).
 *
 * Scoring, per topic:
 * - title: every rule that matches the title adds `weight * TITLE_FACTOR` (however often it matches);
 * - body: every rule adds `weight * (ABSTRACT_FACTOR * d(n) + KEYWORD_FACTOR * d(k))` for n matches in the
 *   abstract and k in the keywords, with d(n) = 1 + ln(n) (diminishing returns: 1, 1.69, 2.10, 2.39, ...);
 *   a topic's body evidence then saturates: BODY_CAP * (1 - exp(-body / BODY_CAP));
 * - raw = title + saturated body; score = 1 - exp(-raw / SCORE_SCALE), in (0, 1].
 * A match that lies inside a longer match of a rule of another topic does not count: "continual pre-training" is
 * evidence for continual-pre-training, not also for pre-training. To require context without claiming its words,
 * a rule can use a lookahead: `efficient(?= (pre-?)?training)`.
 * Topics are ranked by raw evidence (ties keep the order in which topics first appear in the rules) and kept while
 * they clear MIN_SCORE and RELATIVE_THRESHOLD, at most MAX_TOPICS of them.
 *
 * Speed: since every match starts at a word boundary, the compiler works out the few-character prefixes a match of
 * each pattern must start with (pattern-prefixes.ts); the tagger walks the text's word starts once and runs a rule
 * only where one of its prefixes occurs. Patterns without a usable prefix are scanned whole, only when the text
 * contains a literal every match must contain (when there is one). The result is the same as scanning with every
 * regex. A rule on RE2JS, slower per call, is run only on texts that contain one of its literals (lookahead
 * included), and one whose matches have no length limit is tried at a few word starts, then scanned for in one pass.
 */

import { cleanText } from './clean-text.ts';
import { isWordCode, lowerCode, PREFIX_LENGTH, prefixKey } from './pattern-prefixes.ts';
import { type CompiledRule, compileRule, type TaggerOptions, type TopicRule } from './rule-compiler.ts';
import { scoreTopics, type TopicTag } from './scoring.ts';

export type { TaggerOptions, TopicRule } from './rule-compiler.ts';
export type { TopicTag } from './scoring.ts';

export interface TaggablePaper {
  title: string;
  abstract: string;
  keywords?: readonly string[] | null;
}

export interface Tagger {
  /** 0 to MAX_TOPICS tags, best first. */
  tag(paper: TaggablePaper): TopicTag[];
}

/**
 * Compiles the rules once; throws an Error naming the rule (topic and pattern) when one is invalid or outside the
 * rule language (see rule-pattern.ts), saying why.
 */
export function compileTagger(rules: readonly TopicRule[], options: TaggerOptions = {}): Tagger {
  const topics: string[] = [];
  const topicIndexBySlug = new Map<string, number>();
  const compiled: CompiledRule[] = [];
  /** byPrefix[n]: key of an n-character prefix (see prefixKey) -> indexes of the rules whose matches can start with it */
  const byPrefix: Map<number, number[]>[] = [];
  for (let n = 0; n <= PREFIX_LENGTH; n++) byPrefix.push(new Map());
  /** stems[key of 2 characters] = 1 when some prefix of 2 or more characters starts with them (skips most lookups) */
  const stems = new Uint8Array(128 * 128);
  /** Rules scanned for in every text that contains one of their literals (when they have some: the gate). */
  const scanned: { rule: number; gate: RegExp | null }[] = [];

  for (const rule of rules) {
    const known = topicIndexBySlug.get(rule.topic);
    const { compiled: compiledRule, placement } = compileRule(rule, known ?? topics.length, options);
    if (known === undefined) {
      topicIndexBySlug.set(rule.topic, topics.length);
      topics.push(rule.topic);
    }
    const ruleIndex = compiled.length;
    compiled.push(compiledRule);
    if ('scanGate' in placement) {
      scanned.push({ rule: ruleIndex, gate: placement.scanGate });
      continue;
    }
    for (const prefix of placement.prefixes) {
      const map = byPrefix[prefix.length];
      const key = prefixKey(prefix);
      if (prefix.length >= 2) stems[prefixKey(prefix.slice(0, 2))] = 1;
      const list = map?.get(key);
      if (list) list.push(ruleIndex);
      else map?.set(key, [ruleIndex]);
    }
  }

  const lastTried = new Int32Array(compiled.length);
  const matchEnd = new Int32Array(compiled.length);
  /** Per rule, for the current text: 0 not checked yet, 1 may match, 2 cannot (see CompiledRule.gate). */
  const mayMatch = new Uint8Array(compiled.length);
  /** Per rule, how often it was tried in the current text (see CompiledRule.tries). */
  const tried = new Uint16Array(compiled.length);
  /** The rules to scan the rest of the text for, from a word start where the index found them (see CompiledRule.tries). */
  const scanFrom = { rule: [] as number[], position: [] as number[], length: 0 };
  // The matches found in one text, in order of start: rule index, start and end offsets.
  const found = { rule: [] as number[], start: [] as number[], end: [] as number[], length: 0 };

  function record(r: number, start: number, end: number): void {
    found.rule[found.length] = r;
    found.start[found.length] = start;
    found.end[found.length] = end;
    found.length++;
  }

  /** Records every match of rule r in the text from `from` on, as a global scan finds them. */
  function scan(text: string, r: number, from: number): void {
    const matcher = compiled[r]?.matcher;
    if (matcher === undefined) return;
    let start = matcher.find(text, from);
    while (start >= 0) {
      const end = matcher.end;
      record(r, start, end);
      const next = end > start ? end : start + 1; // an empty match (`\b` alone) would otherwise be found again
      start = next <= text.length ? matcher.find(text, next) : -1;
    }
  }

  /**
   * For each rule, the number of its non-overlapping matches in `text` that are not shadowed: a match lying inside
   * a longer match of a rule of another topic does not count ("continual pre-training" is evidence for
   * continual-pre-training, not also for pre-training). A rule can use a lookahead, `efficient(?= training)`,
   * to require context without claiming it.
   */
  function countAll(text: string, counts: Uint32Array): void {
    counts.fill(0);
    if (text === '') return;
    found.length = 0;
    lastTried.fill(-1);
    matchEnd.fill(0);
    mayMatch.fill(0);
    tried.fill(0);
    scanFrom.length = 0;
    // Visit the word starts in order; at each, try every rule one of whose prefixes is there (anchored there).
    // Per rule that visits the same positions, in the same order, as a global scan that finds a match: the same matches.
    let previousWord = false;
    for (let p = 0; p < text.length; p++) {
      const word = isWordCode(text.charCodeAt(p));
      if (word && !previousWord) {
        let key = 0;
        for (let len = 1; len <= PREFIX_LENGTH && p + len <= text.length; len++) {
          const code = lowerCode(text.charCodeAt(p + len - 1));
          if (code > 127) break;
          key = key * 128 + code;
          if (len === 2 && stems[key] === 0) break;
          const candidates = byPrefix[len]?.get(key);
          if (candidates === undefined) continue;
          for (const r of candidates) {
            if (lastTried[r] === p || p < (matchEnd[r] ?? 0)) continue;
            lastTried[r] = p;
            const rule = compiled[r];
            if (rule === undefined) continue;
            if (rule.gate !== null) {
              if (mayMatch[r] === 0) mayMatch[r] = rule.gate.test(text) ? 1 : 2;
              if (mayMatch[r] === 2) continue;
            }
            if ((tried[r] ?? 0) >= rule.tries) {
              scanFrom.rule[scanFrom.length] = r;
              scanFrom.position[scanFrom.length] = p;
              scanFrom.length++;
              matchEnd[r] = text.length; // the scan takes it from here
              continue;
            }
            tried[r] = (tried[r] ?? 0) + 1;
            const end = rule.matcher.matchAt(text, p);
            if (end >= 0) {
              matchEnd[r] = Math.max(end, p + 1);
              record(r, p, matchEnd[r]);
            }
          }
        }
      }
      previousWord = word;
    }
    const indexedMatches = found.length;
    // Up to there, the rule was tried at every word start where one of its prefixes occurs: scanning from there
    // finds what trying it at the others would.
    for (let k = 0; k < scanFrom.length; k++) scan(text, scanFrom.rule[k] ?? 0, scanFrom.position[k] ?? 0);
    for (const { rule: r, gate } of scanned) {
      if (gate === null || gate.test(text)) scan(text, r, 0);
    }

    // Matches of indexed rules were recorded in order of start; scanned ones were appended: restore the order.
    const order = Array.from({ length: found.length }, (_, i) => i);
    if (found.length > indexedMatches) order.sort((a, b) => (found.start[a] ?? 0) - (found.start[b] ?? 0));
    for (const i of order) {
      const r = found.rule[i] ?? 0;
      const start = found.start[i] ?? 0;
      const end = found.end[i] ?? 0;
      const topic = compiled[r]?.topicIndex;
      let shadowed = false;
      for (const j of order) {
        const s = found.start[j] ?? 0;
        if (s > start) break;
        const e = found.end[j] ?? 0;
        if (end <= e && e - s > end - start && compiled[found.rule[j] ?? 0]?.topicIndex !== topic) {
          shadowed = true;
          break;
        }
      }
      if (!shadowed) counts[r] = (counts[r] ?? 0) + 1;
    }
  }

  const counts = {
    title: new Uint32Array(compiled.length),
    keywords: new Uint32Array(compiled.length),
    abstract: new Uint32Array(compiled.length),
  };

  return {
    tag(paper: TaggablePaper): TopicTag[] {
      countAll(cleanText(paper.title), counts.title);
      // One keyword per line: patterns with a literal space cannot run from one keyword into the next.
      countAll((paper.keywords ?? []).map(cleanText).join('\n'), counts.keywords);
      countAll(cleanText(paper.abstract), counts.abstract);
      return scoreTopics(topics, compiled, counts);
    },
  };
}
