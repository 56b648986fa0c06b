import { describe, expect, it } from 'vitest';
import { compileRuleMatcher } from '../../src/topics/rule-matcher.ts';
import { analyzeRulePattern } from '../../src/topics/rule-pattern.ts';
import { compileTagger, type Tagger } from '../../src/topics/tagger.ts';

// Patterns that make a backtracking engine take exponential (or polynomial) time on the right text. An admin can
// add any of them as a rule: tagging must stay fast whatever the paper says.
const CATASTROPHIC = [
  '(a+)+$',
  '(a|a)+$', // ((a|a)*$ matches the empty string: refused for that, see below)
  '(a|aa)+b',
  '(.*a){12}',
  '(\\w+\\s?)+;;',
  '([a-z]+)*x',
  '(x+x+)+y',
  '(\\d+)+$',
  '(a|a){0,25}b', // bounded, but 2^25 ways to try
  'x(\\w+\\s?)+;;', // as above, with a prefix the index finds at every "x"
  '[0-9][0-9.]*x', // quadratic: in "1.1.1..." every digit starts a match that runs to the end
  'a[a-z ]*z', // quadratic the same way, over the spaces
  '(a|b|ab)*c',
];

/** Texts of about `length` characters that keep those patterns busy. */
function adversarialTexts(length: number): string[] {
  const fill = (unit: string) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
  return [
    `${fill('a')}!`,
    fill('aaaaaaaaaaaaaaaaaaaaaaaaaaaaa '),
    fill('a '),
    fill('x '),
    fill('x aaaaaaaaaaaaaaaaaaaa '),
    fill('1.'),
    fill('ab'),
    fill('9'),
  ];
}

/**
 * The best of three timings, so that a busy machine does not fail the test: a slow engine is slow every time. The
 * bounds below are 25 times what these take on an idle machine (about 20 ms): they catch an exponential blow-up,
 * which takes hours here; the engine test above them catches a quadratic one deterministically.
 */
function fastestMs(tagger: Tagger, title: string, abstract: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    tagger.tag({ title, abstract, keywords: [title.slice(0, 100)] });
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

describe('rules that would backtrack catastrophically', () => {
  it('are run on the linear-time engine, while a plain rule keeps the faster backtracking one', () => {
    for (const pattern of CATASTROPHIC) {
      expect(compileRuleMatcher(pattern, analyzeRulePattern(pattern)).engine, pattern).toBe('linear');
    }
    expect(compileRuleMatcher('language models?', analyzeRulePattern('language models?')).engine).toBe('backtracking');
  });

  it('are accepted and tag a 1,000-character title and a 5,000-character abstract in well under a second', () => {
    const titles = adversarialTexts(1000);
    const abstracts = adversarialTexts(5000);
    for (const pattern of CATASTROPHIC) {
      const tagger = compileTagger([
        { topic: 'redos', pattern, weight: 1 },
        { topic: 'other', pattern: 'language models?', weight: 1 },
      ]);
      for (let k = 0; k < titles.length; k++) {
        const ms = fastestMs(tagger, titles[k] ?? '', abstracts[k] ?? '');
        if (ms >= 500) throw new Error(`/${pattern}/ took ${ms.toFixed(1)} ms on text ${k}`);
      }
    }
  });

  it('are all of them, together, still fast', () => {
    const tagger = compileTagger(CATASTROPHIC.map((pattern, i) => ({ topic: `t${i}`, pattern, weight: 1 })));
    const titles = adversarialTexts(1000);
    const abstracts = adversarialTexts(5000);
    for (let k = 0; k < titles.length; k++) {
      expect(fastestMs(tagger, titles[k] ?? '', abstracts[k] ?? '')).toBeLessThan(1000);
    }
  });

  it('still find what they match', () => {
    const tagger = compileTagger([{ topic: 'redos', pattern: '(\\w+\\s?)+;;x', weight: 3 }]);
    expect(tagger.tag({ title: 'one two;;x', abstract: '' })).toEqual([{ topic: 'redos', score: expect.any(Number) }]);
    expect(tagger.tag({ title: 'one two;x', abstract: '' })).toEqual([]);
  });

  it('are refused when they match the empty string, without running them', () => {
    const start = performance.now();
    expect(() => compileTagger([{ topic: 'x', pattern: '(a|a)*$', weight: 1 }])).toThrow(/matches the empty string/);
    expect(() => compileTagger([{ topic: 'x', pattern: '(?:|){30}$', weight: 1 }])).toThrow(
      /a repeated part must not be able to match the empty string/,
    );
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
