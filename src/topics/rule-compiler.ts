/**
 * One topic rule, checked and compiled for the tagger: the matcher that runs it (rule-matcher.ts), and how the
 * tagger finds where to try it, from the word starts its matches can begin with (pattern-prefixes.ts) or by
 * scanning texts that contain one of its literals.
 */

import { isWordCode, MAX_SHORT_PREFIXES, matchPrefixes, requiredLiterals } from './pattern-prefixes.ts';
import { compileRuleMatcher, type RuleMatcher } from './rule-matcher.ts';
import { analyzeRulePattern, type RulePattern } from './rule-pattern.ts';

export interface TopicRule {
  /** Slug of a taggable topic. */
  topic: string;
  /** Case-insensitive regular expression source; the tagger wraps it in word boundaries. */
  pattern: string;
  /** Positive. */
  weight: number;
}

/** How compileTagger runs the rules. */
export interface TaggerOptions {
  /**
   * 'auto' (the default): JavaScript's engine for patterns whose worst case is small, RE2JS for the others;
   * 'linear': RE2JS for every rule (slower; the tests check that it finds the same matches).
   */
  engine?: 'auto' | 'linear';
}

export interface CompiledRule {
  topicIndex: number;
  weight: number;
  matcher: RuleMatcher;
  /** For a rule RE2JS runs: a text this does not match has no match of the rule, which is then not run there. */
  gate: RegExp | null;
  /**
   * How many word starts of one text the rule is tried at before the rest of the text is scanned for it in one
   * pass. Unlimited, but for a rule RE2JS runs whose matches have no length limit: trying it at a word start can
   * cost the rest of the text, so after a few tries one scan is cheaper. None (always scanned from the first
   * word start where one of its prefixes occurs) for one that uses `^` or `$`, which RE2JS cannot try alone.
   */
  tries: number;
}

/** Where the tagger tries a rule. */
export type RulePlacement =
  /** At the word starts where one of these (lowercase) prefixes occurs. */
  | { prefixes: ReadonlySet<string> }
  /** Scanned for in every text, or only in those this gate matches. */
  | { scanGate: RegExp | null };

/** See CompiledRule.tries: with this many, a text costs RE2JS at most 17 passes over it per rule. */
const LINEAR_TRIES = 16;

// Constructs that JavaScript accepts but PostgreSQL's regex engine does not: lookbehind `(?<=` `(?<!` and named
// groups `(?<name>`. Rules must work in the database as well.
const UNPORTABLE = /\(\?</;

/**
 * Checks and compiles one rule; throws an Error naming the rule (topic and pattern) when it is invalid or outside
 * the rule language (see rule-pattern.ts), saying why.
 */
export function compileRule(
  rule: TopicRule,
  topicIndex: number,
  options: TaggerOptions,
): { compiled: CompiledRule; placement: RulePlacement } {
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
  try {
    new RegExp(`\\b(?:${rule.pattern})\\b`, 'gi');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Invalid ${ruleLabel(rule)}: not a valid regular expression (${reason})`);
  }
  let analysis: RulePattern;
  let matcher: RuleMatcher;
  try {
    analysis = analyzeRulePattern(rule.pattern);
    matcher = compileRuleMatcher(rule.pattern, analysis, options.engine);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Invalid ${ruleLabel(rule)}: ${reason}`);
  }
  // Worked out from the pattern, not by running it: `^(?:(|){30}x)$` would backtrack 2^30 times on ''.
  if (analysis.matchesEmpty) {
    throw new Error(`Invalid ${ruleLabel(rule)}: the pattern matches the empty string`);
  }

  const linear = matcher.engine === 'linear';
  const compiled: CompiledRule = {
    topicIndex,
    weight: rule.weight,
    matcher,
    gate: linear ? literalGate(analysis.literals) : null,
    tries: !linear
      ? Number.POSITIVE_INFINITY
      : analysis.usesTextAnchors
        ? 0
        : Number.isFinite(analysis.maxLength)
          ? Number.POSITIVE_INFINITY
          : LINEAR_TRIES,
  };
  // The index holds word starts only: a pattern that can start with a non-word character, or with almost any
  // character (`[a-z]+bench`), is scanned instead, when the text contains one of its literals (if it has some).
  const prefixes = matchPrefixes(rule.pattern);
  if (
    prefixes === null ||
    [...prefixes].some((prefix) => !isWordCode(prefix.charCodeAt(0))) ||
    [...prefixes].filter((prefix) => prefix.length === 1).length > MAX_SHORT_PREFIXES
  ) {
    return {
      compiled,
      placement: { scanGate: literalGate(linear ? analysis.literals : requiredLiterals(rule.pattern)) },
    };
  }
  return { compiled, placement: { prefixes } };
}

/**
 * A case-insensitive search for any of these lowercase ASCII literals (which rules match case-insensitively too),
 * or null when there are none. A regex rather than lowercasing the text and searching it for each: one pass, and
 * nothing allocated per text. Literals are fixed strings: this regex cannot backtrack more than their length.
 */
function literalGate(literals: readonly string[] | null): RegExp | null {
  if (literals === null || literals.length === 0) return null;
  return new RegExp(literals.map((literal) => literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|'), 'i');
}

function ruleLabel(rule: TopicRule): string {
  return `topic rule ${JSON.stringify(rule.topic)} / ${JSON.stringify(rule.pattern)}`;
}
