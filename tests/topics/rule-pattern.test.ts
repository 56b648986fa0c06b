import { describe, expect, it } from 'vitest';
import { compileRuleMatcher, MAX_BACKTRACKING_STEPS, type RuleMatcher } from '../../src/topics/rule-matcher.ts';
import { analyzeRulePattern } from '../../src/topics/rule-pattern.ts';
import { compileTagger } from '../../src/topics/tagger.ts';

/** Every match of a matcher in a text, as a global scan finds them: [start, end of what it claims]. */
function matchesOf(matcher: RuleMatcher, text: string): [number, number][] {
  const out: [number, number][] = [];
  let start = matcher.find(text, 0);
  while (start >= 0) {
    out.push([start, matcher.end]);
    const next = matcher.end > start ? matcher.end : start + 1;
    start = next <= text.length ? matcher.find(text, next) : -1;
  }
  return out;
}

/** What JavaScript finds for the tagger regex of a pattern (a lookahead's words are not part of match[0]). */
function javascriptMatches(pattern: string, text: string): [number, number][] {
  const regex = new RegExp(`\\b(?:${pattern})\\b`, 'gi');
  const out: [number, number][] = [];
  for (const match of text.matchAll(regex)) out.push([match.index, match.index + match[0].length]);
  return out;
}

const linear = (pattern: string) => compileRuleMatcher(pattern, analyzeRulePattern(pattern), 'linear');

describe('the rule language', () => {
  it('refuses what it leaves out, naming the rule and saying why', () => {
    const refused: [string, RegExp][] = [
      ['efficient(?! training)', /negative lookahead \(\?!\.\.\.\) is not supported/],
      [
        'efficient(?= training) methods',
        /a lookahead \(\?=\.\.\.\) must come last in one of the top-level alternatives/,
      ],
      ['(efficient(?= training))', /must come last/],
      ['efficient(?= (pre(?=train)))', /must come last/],
      ['efficient(?= training)+', /a lookahead cannot be repeated/],
      ['(?=training)', /a lookahead must follow something that matches text/],
      ['(la)\\1', /backreferences and octal escapes \(\\1\) are not supported/],
      ['a\\01', /octal escapes are not supported/],
      ['\\cJ', /the escape \\c is not supported/],
      ['\\p{L}+', /the escape \\p is not supported/],
      ['(large )?(models?|)+', /a repeated part must not be able to match the empty string: \(models\?\|\)\+/],
      ['a{1001}', /repeat counts above 1000 are not supported/],
      ['(?<=pre)training', /lookbehind and named groups are not supported/],
    ];
    for (const [pattern, reason] of refused) {
      expect(() => compileTagger([{ topic: 'x', pattern, weight: 1 }])).toThrow(
        `Invalid topic rule "x" / ${JSON.stringify(pattern)}: `,
      );
      expect(() => compileTagger([{ topic: 'x', pattern, weight: 1 }])).toThrow(reason);
    }
  });

  it('runs a pattern on RE2JS with the matches JavaScript finds', () => {
    // Case folding the JavaScript way (no ſ for s, no Kelvin sign for k), JavaScript's \s and `.`, Annex B oddities,
    // leftmost-first alternation, lazy and counted repetition, lookaheads that do not claim their words, anchors.
    const cases: [string, string][] = [
      ['s', 's S ſ'],
      ['k', 'k K \u212a'],
      ['é', 'é É e'],
      ['[a-z]+', 'Ab ſt \u212aey'],
      ['x[^a-z]y', 'x1y xBy xſy'],
      ['\\w+', 'naïve ſ_1 x'],
      ['a\\sb', 'a b a\u00a0b a\u2028b a\u000bb a\u0085b'],
      ['a.c', 'abc a\nc a\u2028c a\rc a\u00e9c'],
      ['x\\W', 'x! x_ xſ'],
      ['\\d+\\.\\d+', '3.14 and 2. and 10.5'],
      ['[\\d-z]+', '5-z 9'],
      ['a{,2}', 'a{,2} aa'],
      ['a\\]', 'a] a'],
      ['\\x41\\u0062', 'Ab ab AB'],
      ['a|ab', 'ab a'],
      ['ab|a', 'ab a'],
      ['(a|ab)(c|bcd)(d*)', 'abcd abcdd'],
      ['a+?b', 'aaab ab'],
      ['(ab){2,3}', 'ababab abababab ab'],
      ['x(?= y)', 'x y x z'],
      ['(a|b)(?= c)|ab', 'a c ab b c'],
      ['efficient(?= (pre-?)?train(ing)?)', 'efficient pretraining, efficient trainers, efficient inference'],
      ['^a|b$', 'a b a b'],
      ['\uD83D\uDE00 smile', '\uD83D\uDE00 smile'],
      ['[0-9][0-9.]* ?[TB] tokens', '2.5T tokens, 15 B tokens, 1.2.3T tokens'],
    ];
    for (const [pattern, text] of cases) {
      expect([pattern, matchesOf(linear(pattern), text)]).toEqual([pattern, javascriptMatches(pattern, text)]);
    }
  });

  it('tries a pattern at one position as JavaScript does', () => {
    const text = 'We pre-train; pretraining efficient training, 7B tokens, a new dataset for math.';
    const patterns = [
      'pre[- ]?train(ing)?',
      'efficient(?= (pre-?)?train(ing)?)',
      '[0-9]+[BT] tokens?',
      '(a|an)(?= ([A-Za-z0-9-]+ ){0,4}(dataset|corpus) (for|of))',
    ];
    for (const pattern of patterns) {
      const sticky = new RegExp(`\\b(?:${pattern})\\b`, 'iy');
      const matcher = linear(pattern);
      for (let p = 0; p < text.length; p++) {
        if (!/\w/.test(text[p] ?? '') || /\w/.test(text[p - 1] ?? '')) continue; // word starts only
        sticky.lastIndex = p;
        const expected = sticky.test(text) ? sticky.lastIndex : -1;
        expect([pattern, p, matcher.matchAt(text, p)]).toEqual([pattern, p, expected]);
      }
    }
  });

  it("leaves to JavaScript's engine only patterns whose backtracking is bounded whatever the text", () => {
    const engine = (pattern: string) => compileRuleMatcher(pattern, analyzeRulePattern(pattern)).engine;
    // Fixed phrases, and runs of one character class that start and end cleanly.
    expect(engine('chain[- ]of[- ]thoughts?|CoTs?')).toBe('backtracking');
    expect(engine('[a-z0-9]+-?Bench')).toBe('backtracking');
    expect(engine('(a|an)(?= ([A-Za-z0-9-]+ ){0,4}(dataset|corpus) (for|of|to))')).toBe('backtracking');
    // Exponential, or quadratic ("1.2.3.4": every digit starts a match that scans to the end), or just too many ways.
    for (const pattern of ['(a+)+$', '(\\w+\\s?)+;;', '(.*a){12}', '[0-9][0-9.]*x', 'a[a-z ]*z', '(a|a){0,25}b']) {
      expect([pattern, engine(pattern)]).toEqual([pattern, 'linear']);
    }
    expect(analyzeRulePattern('(a|a){0,25}b').backtrackingBound).toBeGreaterThan(MAX_BACKTRACKING_STEPS);
    expect(analyzeRulePattern('(a+)+$').backtrackingBound).toBe(Number.POSITIVE_INFINITY);
  });

  it('gives the RE2 form with case folding spelled out and the lookahead as a group', () => {
    const { linearSource, lookaheadGroups, literals } = analyzeRulePattern('Sk|ab(?= c)');
    // No ſ for s, no Kelvin sign for k: JavaScript's case folding, not RE2's.
    expect(linearSource).toBe('\\b(?:(?:[Ss][Kk])\\b|([Aa][Bb])\\b(?: [Cc]))');
    expect(lookaheadGroups).toBe(1);
    expect(literals).toEqual(['sk', 'ab c']);
  });
});
