/**
 * Rule-based topic tagger. Pure and dependency-free: the rules (normally the rows of the `topic_rules` table,
 * seeded from data/topic-rules.json) come in as data, are compiled once, and the returned tagger scores a
 * paper's title, abstract and optional keywords against them.
 *
 * A rule's pattern is a case-insensitive regular expression, matched on word boundaries (the tagger wraps it in
 * `\b(?:...)\b`). Keep to what JavaScript and PostgreSQL share: no lookbehind, no named groups, no `\b` inside
 * (PostgreSQL reads it as a backspace); lookahead `(?=...)` is fine.
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
 * each pattern must start with; the tagger walks the text's word starts once and runs a rule's (sticky) regex only
 * where one of its prefixes occurs. Patterns without a usable prefix are scanned whole, only when the text contains
 * a literal every match must contain (when there is one). The result is the same as scanning with every regex.
 */

export interface TopicRule {
  /** Slug of a taggable topic. */
  topic: string;
  /** Case-insensitive regular expression source; the tagger wraps it in word boundaries. */
  pattern: string;
  /** Positive. */
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

interface CompiledRule {
  topicIndex: number;
  weight: number;
  /** Sticky (`iy`) when the rule is indexed by its prefixes, global (`gi`) when the text is scanned for it. */
  regex: RegExp;
}

// Constructs that JavaScript accepts but PostgreSQL's regex engine does not: lookbehind `(?<=` `(?<!` and named
// groups `(?<name>`. Rules must work in the database as well.
const UNPORTABLE = /\(\?</;

function ruleLabel(rule: TopicRule): string {
  return `topic rule ${JSON.stringify(rule.topic)} / ${JSON.stringify(rule.pattern)}`;
}

/** Compiles the rules once; throws an Error naming the rule (topic and pattern) when one is invalid. */
export function compileTagger(rules: readonly TopicRule[]): Tagger {
  const topics: string[] = [];
  const topicIndexBySlug = new Map<string, number>();
  const compiled: CompiledRule[] = [];
  /** byPrefix[n]: key of an n-character prefix (see prefixKey) -> indexes of the rules whose matches can start with it */
  const byPrefix: Map<number, number[]>[] = [];
  for (let n = 0; n <= PREFIX_LENGTH; n++) byPrefix.push(new Map());
  /** stems[key of 2 characters] = 1 when some prefix of 2 or more characters starts with them (skips most lookups) */
  const stems = new Uint8Array(128 * 128);
  const scanned: { rule: number; literals: string[] | null }[] = [];

  for (const rule of rules) {
    if (typeof rule.topic !== 'string' || rule.topic.trim() === '') {
      throw new Error(`Invalid ${ruleLabel(rule)}: the topic is empty`);
    }
    if (typeof rule.pattern !== 'string' || rule.pattern.trim() === '') {
      throw new Error(`Invalid ${ruleLabel(rule)}: the pattern is empty`);
    }
    if (typeof rule.weight !== 'number' || !Number.isFinite(rule.weight) || rule.weight <= 0) {
      throw new Error(`Invalid ${ruleLabel(rule)}: the weight must be a positive number`);
    }
    if (UNPORTABLE.test(rule.pattern)) {
      throw new Error(`Invalid ${ruleLabel(rule)}: lookbehind and named groups are not supported`);
    }
    const source = `\\b(?:${rule.pattern})\\b`;
    try {
      new RegExp(source, 'gi');
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
    const ruleIndex = compiled.length;
    const prefixes = matchPrefixes(rule.pattern);
    // The index holds word starts only: a pattern that can start with a non-word character, or with almost any
    // character (`[a-z]+bench`), is scanned instead, when the text contains one of its literals (if it has some).
    if (
      prefixes === null ||
      [...prefixes].some((prefix) => !isWordCode(prefix.charCodeAt(0))) ||
      [...prefixes].filter((prefix) => prefix.length === 1).length > MAX_SHORT_PREFIXES
    ) {
      compiled.push({ topicIndex, weight: rule.weight, regex: new RegExp(source, 'gi') });
      scanned.push({ rule: ruleIndex, literals: requiredLiterals(rule.pattern) });
    } else {
      compiled.push({ topicIndex, weight: rule.weight, regex: new RegExp(source, 'iy') });
      for (const prefix of prefixes) {
        const map = byPrefix[prefix.length];
        const key = prefixKey(prefix);
        if (prefix.length >= 2) stems[prefixKey(prefix.slice(0, 2))] = 1;
        const list = map?.get(key);
        if (list) list.push(ruleIndex);
        else map?.set(key, [ruleIndex]);
      }
    }
  }

  const lastTried = new Int32Array(compiled.length);
  const matchEnd = new Int32Array(compiled.length);
  // The matches found in one text, in order of start: rule index, start and end offsets.
  const found = { rule: [] as number[], start: [] as number[], end: [] as number[], length: 0 };

  function record(r: number, start: number, end: number): void {
    found.rule[found.length] = r;
    found.start[found.length] = start;
    found.end[found.length] = end;
    found.length++;
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
    // Visit the word starts in order; at each, try the sticky regex of every rule one of whose prefixes is there.
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
            const regex = compiled[r]?.regex;
            if (regex === undefined) continue;
            regex.lastIndex = p;
            if (regex.test(text)) {
              const end = Math.max(regex.lastIndex, p + 1);
              matchEnd[r] = end;
              record(r, p, end);
            }
          }
        }
      }
      previousWord = word;
    }
    const indexedMatches = found.length;
    let lower: string | null = null;
    for (const { rule: r, literals } of scanned) {
      if (literals !== null) {
        lower ??= text.toLowerCase();
        const haystack = lower;
        if (!literals.some((literal) => haystack.includes(literal))) continue;
      }
      const regex = compiled[r]?.regex;
      if (regex === undefined) continue;
      regex.lastIndex = 0;
      let match = regex.exec(text);
      while (match !== null) {
        record(r, match.index, match.index + match[0].length);
        if (match[0] === '') regex.lastIndex++; // cannot happen (empty-matching patterns are rejected); be safe
        match = regex.exec(text);
      }
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

  const titleCounts = new Uint32Array(compiled.length);
  const keywordCounts = new Uint32Array(compiled.length);
  const abstractCounts = new Uint32Array(compiled.length);

  return {
    tag(paper: TaggablePaper): TopicTag[] {
      countAll(clean(paper.title), titleCounts);
      // One keyword per line: patterns with a literal space cannot run from one keyword into the next.
      countAll((paper.keywords ?? []).map(clean).join('\n'), keywordCounts);
      countAll(clean(paper.abstract), abstractCounts);

      // Title evidence adds up; the evidence of the abstract and keywords saturates per topic (see BODY_CAP).
      const title = new Float64Array(topics.length);
      const body = new Float64Array(topics.length);
      for (let r = 0; r < compiled.length; r++) {
        const rule = compiled[r];
        if (!rule) continue;
        const t = rule.topicIndex;
        if ((titleCounts[r] ?? 0) > 0) title[t] = (title[t] ?? 0) + rule.weight * TITLE_FACTOR;
        const b = KEYWORD_FACTOR * diminish(keywordCounts[r] ?? 0) + ABSTRACT_FACTOR * diminish(abstractCounts[r] ?? 0);
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
    },
  };
}

function diminish(n: number): number {
  return n > 0 ? 1 + Math.log(n) : 0;
}

function toScore(raw: number): number {
  const score = Math.round((1 - Math.exp(-raw / SCORE_SCALE)) * 1000) / 1000;
  return Math.min(1, Math.max(0.001, score));
}

// URLs and bare domains (project pages, GitHub links) would otherwise match rules (`github.com/org/code-llm`);
// LaTeX math delimiters and common markup are dropped (`\textbf{L}arge` -> `Large`); whitespace, including the
// line wraps of arXiv abstracts, is collapsed so that patterns with a space match across them. The hints only
// skip the replacements when they have nothing to do.
const URL = /\b(?:https?:\/\/|www\.)\S+|\b[\w.-]+\.(?:com|org|io|ai|net|edu|dev|co)\b(?:\/\S*)?/gi;
const URL_HINT = /:\/\/|www\.|\.(?:com|org|io|ai|net|edu|dev|co)\b/i;
const LATEX = /\\(?:text|mathrm|mathbf|mathcal|mathit|emph|textbf|textit|texttt)\{|[$\\{}]/g;
const LATEX_HINT = /[$\\{}]/;
const SPACE = /\s+/g;
const SPACE_HINT = /[^\S ]| {2}|^ | $/;

function clean(text: string | null | undefined): string {
  if (!text) return '';
  let out = URL_HINT.test(text) ? text.replace(URL, ' ') : text;
  if (LATEX_HINT.test(out)) out = out.replace(LATEX, '');
  if (SPACE_HINT.test(out)) out = out.replace(SPACE, ' ').trim();
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Prefix index

/** Longest prefix used in the index. */
const PREFIX_LENGTH = 4;
/** A pattern with more possible one-character prefixes than this is scanned rather than indexed. */
const MAX_SHORT_PREFIXES = 12;
/** Give up on a shorter prefix when a pattern has more possible prefixes than this. */
const MAX_PREFIXES = 256;
/** Character classes larger than this are treated as "any character". */
const MAX_CLASS = 40;

const isWordCode = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95; // [0-9A-Za-z_], as \b sees it

/** ASCII-lowercases one character code (case-insensitive matching without `u` never maps non-ASCII to ASCII). */
function lowerCode(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

/** A number for a prefix of ASCII characters, 7 bits per character (unique among prefixes of the same length). */
function prefixKey(prefix: string): number {
  let key = 0;
  for (let i = 0; i < prefix.length; i++) key = key * 128 + lowerCode(prefix.charCodeAt(i));
  return key;
}

type Node =
  | { kind: 'chars'; chars: Set<string> | null } // null: any character, or one the analysis does not follow
  | { kind: 'seq'; items: Node[] }
  | { kind: 'alt'; options: Node[] }
  | { kind: 'repeat'; node: Node; min: number; max: number }
  | { kind: 'empty' }; // assertions and lookaheads: consume nothing

/**
 * The set of (ASCII-lowercased) strings of at most PREFIX_LENGTH characters such that every match of the
 * case-insensitive pattern starts with one of them; null when that cannot be worked out usefully.
 * Conservative by construction: anything not understood ends a prefix early, which only makes it less selective.
 */
/** @internal exported for tests */
export function matchPrefixes(pattern: string): Set<string> | null {
  let tree: Node;
  try {
    tree = new PatternParser(pattern).parse();
  } catch {
    return null;
  }
  for (let k = PREFIX_LENGTH; k >= 1; k--) {
    const closed = new Set<string>();
    const open = walk(tree, new Set(['']), closed, k);
    if (open === null) continue;
    for (const s of open) closed.add(s);
    if (closed.size > MAX_PREFIXES) continue;
    if (closed.has('')) return null;
    return closed;
  }
  return null;
}

/**
 * Lowercase strings one of which every match of the pattern contains (at least 3 characters each), or null.
 * Used to skip scanning a text for a pattern that cannot be indexed by its prefixes.
 */
/** @internal exported for tests */
export function requiredLiterals(pattern: string): string[] | null {
  try {
    return literalsOf(new PatternParser(pattern).parse());
  } catch {
    return null;
  }
}

const MIN_LITERAL = 3;

function literalsOf(node: Node): string[] | null {
  switch (node.kind) {
    case 'alt': {
      const all: string[] = [];
      for (const option of node.options) {
        const literals = literalsOf(option);
        if (literals === null) return null;
        all.push(...literals);
      }
      return all;
    }
    case 'repeat':
      return node.min >= 1 ? literalsOf(node.node) : null;
    case 'chars':
    case 'empty':
      return null; // a single character is too short to be worth checking for
    case 'seq': {
      let best: string[] | null = null;
      const consider = (candidate: string[] | null) => {
        if (candidate === null || candidate.length === 0) return;
        const quality = Math.min(...candidate.map((c) => c.length));
        if (quality < MIN_LITERAL) return;
        if (best === null || quality > Math.min(...best.map((c) => c.length))) best = candidate;
      };
      let run = '';
      for (const item of node.items) {
        const single =
          item.kind === 'chars' && item.chars !== null && item.chars.size === 1 ? [...item.chars][0] : undefined;
        if (single !== undefined) {
          run += single;
          continue;
        }
        consider(run === '' ? null : [run]);
        run = '';
        if (item.kind === 'alt' || item.kind === 'seq' || item.kind === 'repeat') consider(literalsOf(item));
      }
      consider(run === '' ? null : [run]);
      return best;
    }
  }
}

/** Extends the `open` prefixes through `node`; prefixes that are complete or cannot be extended go to `closed`. */
function walk(node: Node, open: Set<string>, closed: Set<string>, k: number): Set<string> | null {
  if (open.size === 0) return open;
  switch (node.kind) {
    case 'empty':
      return open;
    case 'chars': {
      if (node.chars === null || node.chars.size > MAX_CLASS) {
        for (const s of open) closed.add(s);
        return new Set();
      }
      const next = new Set<string>();
      for (const s of open) {
        for (const c of node.chars) {
          const t = s + c;
          if (t.length >= k) closed.add(t);
          else next.add(t);
        }
      }
      return next.size + closed.size > MAX_PREFIXES ? null : next;
    }
    case 'seq': {
      let current: Set<string> | null = open;
      for (const item of node.items) {
        current = walk(item, current, closed, k);
        if (current === null) return null;
      }
      return current;
    }
    case 'alt': {
      const next = new Set<string>();
      for (const option of node.options) {
        const out = walk(option, new Set(open), closed, k);
        if (out === null) return null;
        for (const s of out) next.add(s);
      }
      return next;
    }
    case 'repeat': {
      if (node.max === 0) return open;
      const once = walk(node.node, new Set(open), closed, k);
      if (once === null) return null;
      if (node.max === 1) {
        if (node.min === 0) for (const s of open) once.add(s);
        return once;
      }
      // More repetitions may follow: stop the prefixes after the first one.
      for (const s of once) closed.add(s);
      return node.min === 0 ? open : new Set();
    }
  }
}

const DIGITS = '0123456789';

/** A parser for JavaScript regex syntax (non-Unicode mode, as compiled by the tagger), enough for prefix analysis. */
class PatternParser {
  private i = 0;
  private readonly src: string;

  constructor(src: string) {
    this.src = src;
  }

  parse(): Node {
    const node = this.disjunction();
    if (this.i < this.src.length) throw new Error('unbalanced )');
    return node;
  }

  private peek(): string | undefined {
    return this.src[this.i];
  }

  private disjunction(): Node {
    const options: Node[] = [this.alternative()];
    while (this.peek() === '|') {
      this.i++;
      options.push(this.alternative());
    }
    return options.length === 1 ? (options[0] as Node) : { kind: 'alt', options };
  }

  private alternative(): Node {
    const items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      const atom = this.term();
      items.push(this.quantified(atom));
    }
    return { kind: 'seq', items };
  }

  private term(): Node {
    const c = this.src[this.i++] ?? '';
    switch (c) {
      case '^':
      case '$':
        return { kind: 'empty' };
      case '.':
        return { kind: 'chars', chars: null };
      case '[':
        return this.characterClass();
      case '(': {
        let lookahead = false;
        if (this.src.startsWith('?:', this.i)) this.i += 2;
        else if (this.src.startsWith('?=', this.i) || this.src.startsWith('?!', this.i)) {
          this.i += 2;
          lookahead = true;
        } else if (this.peek() === '?') throw new Error('unsupported group');
        const inner = this.disjunction();
        if (this.src[this.i++] !== ')') throw new Error('unclosed group');
        return lookahead ? { kind: 'empty' } : inner;
      }
      case '\\':
        return this.escape();
      default:
        return literal(c);
    }
  }

  private escape(): Node {
    const c = this.src[this.i++];
    if (c === undefined) throw new Error('trailing backslash');
    if (c === 'b' || c === 'B') return { kind: 'empty' };
    if (c === 'd') return { kind: 'chars', chars: new Set(DIGITS) };
    if (/[A-Za-z0-9]/.test(c)) return { kind: 'chars', chars: null }; // \w \s \n \x.. \u.. \1 ...: not followed
    return literal(c);
  }

  private characterClass(): Node {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.i++;
    }
    const chars = new Set<string>();
    let any = false;
    for (;;) {
      let c = this.src[this.i++];
      if (c === undefined) throw new Error('unclosed class');
      if (c === ']') break; // in JavaScript `[]` matches nothing and `[^]` anything: both come out right below
      if (c === '\\') {
        const e = this.src[this.i++];
        if (e === undefined) throw new Error('trailing backslash');
        if (e === 'd') {
          for (const d of DIGITS) chars.add(d);
          continue;
        }
        if (/[A-Za-z0-9]/.test(e)) {
          any = true;
          continue;
        }
        c = e;
      }
      const code = c.charCodeAt(0);
      if (this.peek() === '-' && this.src[this.i + 1] !== undefined && this.src[this.i + 1] !== ']') {
        this.i++;
        let end = this.src[this.i++] ?? '';
        if (end === '\\') {
          end = this.src[this.i++] ?? '';
          if (/[A-Za-z0-9]/.test(end)) {
            any = true;
            continue;
          }
        }
        const endCode = end.charCodeAt(0);
        if (endCode - code > MAX_CLASS || code > 127 || endCode > 127) {
          any = true;
          continue;
        }
        for (let x = code; x <= endCode; x++) addFolded(chars, String.fromCharCode(x));
        continue;
      }
      if (code > 127) any = true;
      else addFolded(chars, c);
    }
    if (negated || any) return { kind: 'chars', chars: null };
    return { kind: 'chars', chars };
  }

  private quantified(atom: Node): Node {
    let min: number;
    let max: number;
    const c = this.peek();
    if (c === '*') {
      min = 0;
      max = Number.POSITIVE_INFINITY;
      this.i++;
    } else if (c === '+') {
      min = 1;
      max = Number.POSITIVE_INFINITY;
      this.i++;
    } else if (c === '?') {
      min = 0;
      max = 1;
      this.i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return atom; // a literal `{` (Annex B); it is parsed as the next atom
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' || m[3] === undefined ? Number.POSITIVE_INFINITY : Number(m[3]);
      this.i += m[0].length;
    } else {
      return atom;
    }
    if (this.peek() === '?') this.i++; // lazy: same set of matches for our purpose
    return { kind: 'repeat', node: atom, min, max };
  }
}

function literal(c: string): Node {
  // Without the `u` flag, case-insensitive matching never maps a non-ASCII character to an ASCII one and the
  // index only lowercases ASCII, so non-ASCII characters are not followed.
  if (c.charCodeAt(0) > 127) return { kind: 'chars', chars: null };
  const chars = new Set<string>();
  addFolded(chars, c);
  return { kind: 'chars', chars };
}

function addFolded(chars: Set<string>, c: string): void {
  chars.add(c >= 'A' && c <= 'Z' ? c.toLowerCase() : c);
}
