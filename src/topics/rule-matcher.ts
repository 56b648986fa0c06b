/**
 * Runs one rule's pattern on a text, on one of two engines: JavaScript's RegExp, fast but backtracking, for patterns
 * whose work is provably linear in the text with a small factor (backtracking-cost.ts), and RE2JS (linear time
 * whatever the pattern, some 30 times slower per call) for all others: 8 of the 522 shipped rules, and whatever
 * catastrophic pattern an admin enters. rule-pattern.ts translates patterns for RE2JS.
 */
import { MatcherInput, RE2JS, RE2Set } from 're2js';
import type { RulePattern } from './rule-pattern.ts';

/**
 * Most steps per character of text JavaScript's engine may take on a rule (see RulePattern.backtrackingBound), an
 * upper bound that real texts stay far below. The shipped rules that run there need up to about 16,000 (an
 * alternation of many phrases, most of which fail at their first letter); a pattern like `(a+)+$` has no bound.
 */
export const MAX_BACKTRACKING_STEPS = 20_000;

/** Finds one rule's matches: the span a match claims (without the words of its lookahead, if it has one). */
export interface RuleMatcher {
  /** 'backtracking' (JavaScript's RegExp) or 'linear' (RE2JS). */
  readonly engine: 'backtracking' | 'linear';
  /** The end of the match that starts at `position` (a word start, which is all the tagger tries), or -1. */
  matchAt(text: string, position: number): number;
  /** The start of the first match at or after `from`, or -1; `end` then tells where it ends. */
  find(text: string, from: number): number;
  /** The end of the match find() found last (of what it claims: without its lookahead's words). */
  readonly end: number;
}

/**
 * A matcher for the tagger regex of a checked pattern (`\b(?:pattern)\b`, case-insensitive). `engine: 'linear'`
 * runs it on RE2JS even when JavaScript's engine would be safe (the tests compare both). Throws an Error saying
 * why when RE2JS cannot compile the pattern (too large once expanded, say).
 */
export function compileRuleMatcher(
  pattern: string,
  analysis: RulePattern,
  engine: 'auto' | 'linear' = 'auto',
): RuleMatcher {
  if (engine === 'auto' && analysis.backtrackingBound <= MAX_BACKTRACKING_STEPS) {
    return new BacktrackingMatcher(`\\b(?:${pattern})\\b`);
  }
  return new LinearMatcher(analysis);
}

// Classes rather than closures: the tagger calls these in its inner loop, where two shapes of matcher keep the
// call sites polymorphic; a closure per rule made them megamorphic and V8 kept deoptimizing the loop.

class BacktrackingMatcher implements RuleMatcher {
  readonly engine = 'backtracking';
  end = 0;
  private readonly sticky: RegExp;
  private readonly global: RegExp;

  constructor(source: string) {
    this.sticky = new RegExp(source, 'iy');
    this.global = new RegExp(source, 'gi');
  }

  matchAt(text: string, position: number): number {
    this.sticky.lastIndex = position;
    return this.sticky.test(text) ? this.sticky.lastIndex : -1;
  }

  find(text: string, from: number): number {
    this.global.lastIndex = from;
    const match = this.global.exec(text);
    if (match === null) return -1;
    this.end = match.index + match[0].length;
    return match.index;
  }
}

type Re2 = ReturnType<RE2JS['re2']>;
type Input = ReturnType<typeof MatcherInput.utf16>;

class LinearMatcher implements RuleMatcher {
  readonly engine = 'linear';
  end = 0;
  private readonly re2: Re2;
  /** Capture groups to ask for: the whole match and one per lookahead alternative. */
  private readonly groups: number;
  /** How far past its start a match can reach, plus one character for the final \b; the whole text if unbounded. */
  private readonly reach: number;
  private lastText: string | null = null;
  private lastInput: Input | null = null;

  constructor(analysis: RulePattern) {
    try {
      this.re2 = RE2JS.compile(analysis.linearSource).re2();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`the linear-time engine cannot run it (${reason})`);
    }
    this.groups = 1 + analysis.lookaheadGroups;
    this.reach =
      Number.isFinite(analysis.maxLength) && !analysis.usesTextAnchors
        ? analysis.maxLength + 1
        : Number.POSITIVE_INFINITY;
  }

  matchAt(text: string, position: number): number {
    // RE2 anchors a match only at the start of its input: match on the text from `position` on, no further than a
    // match can reach. Its \b sees no character before the start, as at a word start. `^` would match there too,
    // and an unbounded match would cost the rest of the text at every word start: the tagger scans such rules.
    const rest = text.slice(position, Math.min(text.length, position + this.reach));
    const found = this.run(rest, 0, RE2Set.ANCHOR_START);
    return found === null ? -1 : position + this.claimedEnd(found);
  }

  find(text: string, from: number): number {
    if (text !== this.lastText) {
      this.lastText = text;
      this.lastInput = MatcherInput.utf16(text);
    }
    const found = this.run(this.lastInput, from, RE2Set.UNANCHORED);
    if (found === null) return -1;
    this.end = this.claimedEnd(found);
    return found[0] ?? 0;
  }

  /** The match's groups, or null; a first pass without groups runs on RE2's DFA, much faster when nothing matches. */
  private run(input: string | Input | null, from: number, anchor: number): number[] | null {
    const length = typeof input === 'string' ? input.length : (this.lastText?.length ?? 0);
    const [any] = this.re2.matchWithGroup(input, from, length, anchor, 0) as [boolean];
    if (!any) return null;
    const [matched, found] = this.re2.matchWithGroup(input, from, length, anchor, this.groups) as [
      boolean,
      number[] | null,
    ];
    return matched ? found : null;
  }

  /** Where what a match claims ends: where its lookahead group ends when it has one, else where the match ends. */
  private claimedEnd(found: number[]): number {
    for (let g = 1; g < this.groups; g++) {
      const end = found[2 * g + 1] ?? -1;
      if (end >= 0) return end;
    }
    return found[1] ?? 0;
  }
}
