/**
 * The language of topic rule patterns: what a rule may say, and how it runs without backtracking.
 *
 * A pattern is a JavaScript regular expression (the syntax of `new RegExp(pattern, 'i')`, without the `u` flag),
 * case-insensitive, that the tagger wraps in word boundaries: `\b(?:pattern)\b`. Allowed:
 * - literal characters and escaped punctuation (`\.`, `\+`, `\-`, `\/`, ...), `\t \n \v \f \r \0`, `\xHH`, `\uHHHH`;
 * - `.`, character classes `[...]` and `[^...]` with ranges, and `\d \D \w \W \s \S` (in classes too);
 * - groups `(...)` and `(?:...)` (groups do not capture anything the tagger uses), alternation `|`;
 * - quantifiers `* + ? {n} {n,} {n,m}` (counts up to 1000), greedy or lazy (`*?`), on something that cannot match
 *   the empty string (`(a?)*` is refused: JavaScript and RE2 disagree on where such a repetition stops);
 * - assertions `^` and `$` (start and end of the text), `\b` and `\B` (but PostgreSQL reads `\b` as a backspace,
 *   so a rule meant for the database too should not use them);
 * - a positive lookahead `X(?=Y)` as the last thing in one of the pattern's top-level alternatives
 *   (`a|b(?=c)|d`): it requires Y after X without claiming Y's words, e.g. `efficient(?= (pre-?)?training)`.
 * Refused, with a message: lookaheads anywhere else or inside another, negative lookaheads `(?!...)`,
 * lookbehinds and named groups (PostgreSQL has neither), backreferences and octal escapes (`\1`, `\01`: no
 * linear-time engine can run a backreference), `\c`, and escapes of letters that have no meaning here (`\p`, `\k`).
 *
 * Running time: a pattern runs on JavaScript's backtracking engine only when its work is provably linear in the text,
 * with a small factor (backtracking-cost.ts: few ways to try it, and unbounded repetition only of one character
 * class entered and left cleanly, `[a-z0-9]+-?Bench`); every other pattern runs on RE2JS, a linear-time engine (a
 * port of RE2), so that an admin's `(\w+\s?)+;;` cannot block the event loop (rule-matcher.ts). RE2 has no
 * lookahead: `X(?=Y)` becomes `(X)\bY` there, and the match counts as ending where X ends. Case folding is done
 * here, JavaScript's way (`s` does not match `ſ`, `k` not the Kelvin sign, as they would in RE2), and so are `.`
 * and `\s`, so that both engines find the same matches. One difference remains: a character outside the Basic
 * Multilingual Plane (an emoji) is one character for RE2 and two for JavaScript, so `.`, negated classes and
 * `\W \S \D` take it whole there; the shipped rules never meet one.
 */

import { backtrackingBound } from './backtracking-cost.ts';
import { type CharSet, fold, singleCode } from './char-sets.ts';
import { type Leaf, requiredLiterals } from './required-literals.ts';
import { parseRulePattern, type RuleNode } from './rule-syntax.ts';

/** What the tagger needs to know about a pattern to run it. */
export interface RulePattern {
  /**
   * The whole tagger regex in RE2 syntax, with case folding spelled out (compile it without the case-insensitive
   * flag): `\b(?:A\b|(X)\bY|...)` for the top-level alternatives `A`, `X(?=Y)`, ...
   */
  linearSource: string;
  /** Capture groups in linearSource, one per lookahead alternative: a match consumes only up to its group's end. */
  lookaheadGroups: number;
  /**
   * An upper bound on the steps JavaScript's backtracking engine takes per character of text to find the matches
   * (see backtracking-cost.ts); infinite when there is none: the work can then grow faster than the text, up to
   * exponentially (`(a+)+$`).
   */
  backtrackingBound: number;
  /** Longest text one match of linearSource can cover, lookahead included; infinite with unbounded repetition. */
  maxLength: number;
  /** Whether the pattern uses `^` or `$`, which see the ends of the whole text. */
  usesTextAnchors: boolean;
  /** Whether the tagger regex `^(?:pattern)$` matches the empty string (such a pattern would match everywhere). */
  matchesEmpty: boolean;
  /**
   * Lowercase ASCII strings one of which the text of every match contains (case-insensitively), its lookahead's
   * included (`(a|an)(?= [a-z]+ dataset)` needs "dataset"); null when there are none worth checking. A text
   * without any of them has no match: the tagger skips the rule there without running it.
   */
  literals: string[] | null;
}

/** Parses and checks a rule pattern; throws an Error saying what is not allowed (see the module comment). */
export function analyzeRulePattern(pattern: string): RulePattern {
  const alternatives = parseRulePattern(pattern);
  let maxLength = 0;
  let usesTextAnchors = false;
  let matchesEmpty = false;
  let groups = 0;
  const parts: string[] = [];
  let literals: string[] | null = [];
  for (const { body, lookahead } of alternatives) {
    // Flat, so that a literal can run from the body into the lookahead (`ab(?= c)` needs "ab c").
    const flat = (node: RuleNode) => (node.kind === 'seq' ? node.items : [node]);
    const whole: RuleNode = lookahead ? { kind: 'seq', items: [...flat(body), ...flat(lookahead)] } : body;
    maxLength = Math.max(maxLength, longest(whole));
    usesTextAnchors ||= hasTextAnchor(whole);
    matchesEmpty ||= matchesEmptyText(whole);
    const own = requiredLiterals(whole, leafOf, MIN_LITERAL);
    literals = literals && own ? [...literals, ...own] : null;
    if (lookahead) {
      groups++;
      parts.push(`(${toRe2(body)})\\b${group(toRe2(lookahead))}`);
    } else {
      parts.push(`${group(toRe2(body))}\\b`);
    }
  }
  return {
    linearSource: `\\b(?:${parts.join('|')})`,
    lookaheadGroups: groups,
    backtrackingBound: backtrackingBound(alternatives),
    maxLength,
    usesTextAnchors,
    matchesEmpty,
    literals: literals && literals.length > 0 ? [...new Set(literals)] : null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Properties of a pattern

/** Whether the node matches the empty text, assertions included (`\b` fails there: there is no word). */
function matchesEmptyText(node: RuleNode): boolean {
  switch (node.kind) {
    case 'assert':
      return node.assertion !== '\\b';
    case 'seq':
      return node.items.every(matchesEmptyText);
    case 'alt':
      return node.options.some(matchesEmptyText);
    case 'repeat':
      return node.min === 0 || matchesEmptyText(node.node);
    case 'set':
      return false;
  }
}

function hasTextAnchor(node: RuleNode): boolean {
  switch (node.kind) {
    case 'assert':
      return node.assertion === '^' || node.assertion === '$';
    case 'seq':
      return node.items.some(hasTextAnchor);
    case 'alt':
      return node.options.some(hasTextAnchor);
    case 'repeat':
      return hasTextAnchor(node.node);
    case 'set':
      return false;
  }
}

/** Shortest literal worth checking for: two letters already rule out most texts for most rules. */
const MIN_LITERAL = 2;

/**
 * What a node is to the literal finder (see RulePattern.literals): a set of one character is a
 * literal; an assertion (`\b`) consumes nothing, so a run of characters goes on across it.
 */
function leafOf(node: RuleNode): Leaf {
  if (node.kind === 'assert') return 'zero-width';
  const char = node.kind === 'set' ? literalChar(node.set) : null;
  return char === null ? 'other' : { char };
}

/** The lowercase character a set stands for when it is one ASCII character (a letter with its other case), else null. */
function literalChar(set: CharSet): string | null {
  const folded = fold(set).ranges;
  const lo = folded[0] ?? -1;
  if (folded.length === 2 && lo === folded[1] && lo < 128) return String.fromCharCode(lo);
  if (
    folded.length === 4 &&
    lo >= 65 &&
    lo <= 90 &&
    folded[1] === lo &&
    folded[2] === lo + 32 &&
    folded[3] === lo + 32
  ) {
    return String.fromCharCode(lo + 32);
  }
  return null;
}

function longest(node: RuleNode): number {
  switch (node.kind) {
    case 'set':
      return 1;
    case 'assert':
      return 0;
    case 'seq':
      return node.items.reduce((sum, item) => sum + longest(item), 0);
    case 'alt':
      return Math.max(...node.options.map(longest));
    case 'repeat':
      return Number.isFinite(node.max) ? node.max * longest(node.node) : Number.POSITIVE_INFINITY;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Translation to RE2 syntax

function group(source: string): string {
  return `(?:${source})`;
}

function toRe2(node: RuleNode): string {
  switch (node.kind) {
    case 'set':
      return setToRe2(fold(node.set));
    case 'assert':
      return node.assertion;
    case 'alt':
      return group(node.options.map(toRe2).join('|'));
    case 'repeat': {
      const { min, max } = node;
      const quantifier =
        min === 0 && max === 1
          ? '?'
          : min === 0 && !Number.isFinite(max)
            ? '*'
            : min === 1 && !Number.isFinite(max)
              ? '+'
              : min === max
                ? `{${min}}`
                : `{${min},${Number.isFinite(max) ? max : ''}}`;
      return `${group(toRe2(node.node))}${quantifier}${node.lazy ? '?' : ''}`;
    }
    case 'seq': {
      let out = '';
      const { items } = node;
      for (let k = 0; k < items.length; k++) {
        // Without the `u` flag, JavaScript sees an emoji written in a pattern as two code units; RE2 reads the
        // text by code points, so the pair is written as the one character it stands for.
        const high = singleCodeOf(items[k]);
        const low = singleCodeOf(items[k + 1]);
        if (high !== null && low !== null && isHighSurrogate(high) && isLowSurrogate(low)) {
          out += `\\x{${((high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000).toString(16)}}`;
          k++;
          continue;
        }
        out += toRe2(items[k] as RuleNode);
      }
      return out;
    }
  }
}

function singleCodeOf(node: RuleNode | undefined): number | null {
  return node?.kind === 'set' ? singleCode(node.set) : null;
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

function setToRe2(set: CharSet): string {
  const { ranges } = set;
  if (ranges.length === 0) return '[^\\x00-\\x{10FFFF}]'; // JavaScript's `[]`: matches nothing
  const code = singleCode(set);
  if (code !== null && (isAsciiAlphanumeric(code) || code === 32)) return String.fromCharCode(code);
  let out = '[';
  let surrogates = 0;
  for (let k = 0; k < ranges.length; k += 2) {
    const lo = ranges[k] ?? 0;
    const hi = ranges[k + 1] ?? 0;
    out += lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`;
    surrogates += Math.max(0, Math.min(hi, 0xdfff) - Math.max(lo, 0xd800) + 1);
  }
  // A set with every surrogate (`.`, `[^a]`, `\W`) matches any character of the text, emoji included.
  if (surrogates === 0x800) out += '\\x{10000}-\\x{10FFFF}';
  return `${out}]`;
}

/** A code unit in an RE2 class or sequence: letters and digits as they are, anything else escaped. */
function hex(code: number): string {
  return isAsciiAlphanumeric(code) ? String.fromCharCode(code) : `\\x{${code.toString(16)}}`;
}

const isAsciiAlphanumeric = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
