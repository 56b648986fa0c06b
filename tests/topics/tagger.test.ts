import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SAMPLE_FILE } from '../../src/db/prepare.ts';
import { parseDailyPage } from '../../src/import/daily-page.ts';
import { matchPrefixes, requiredLiterals } from '../../src/topics/pattern-prefixes.ts';
import { MAX_TOPICS } from '../../src/topics/scoring.ts';
import { compileTagger, type TopicRule } from '../../src/topics/tagger.ts';
import { readDefaultRules } from '../../src/topics/taxonomy.ts';

const sample = parseDailyPage(readFileSync(SAMPLE_FILE, 'utf8')).records;

describe('the tagger', () => {
  it('finds, for every default rule, exactly what a scan with the whole regex finds', () => {
    // The prefix index skips most rules at most word starts; it must never skip a real match, nor invent one.
    // One rule per tagger, so no other rule can shadow its matches: it tags the paper iff its regex matches.
    // The texts: the sample page's titles and abstracts, and sentences built around each rule's literals.
    // Texts without links or LaTeX, which the tagger removes before matching, and with single spaces.
    const rules = readDefaultRules();
    const texts = sample
      .flatMap((r) => [r.title, r.abstract])
      .filter((t) => !/[$\\{}]|:\/\/|www\.|\.(com|org|io|ai)\b/.test(t));
    expect(texts.length).toBeGreaterThan(60);
    for (const rule of rules) {
      const tagger = compileTagger([{ ...rule, weight: 10 }]);
      const regex = new RegExp(`\\b(?:${rule.pattern})\\b`, 'i');
      const own = (requiredLiterals(rule.pattern) ?? []).map((literal) => `A study of ${literal.trim()} methods.`);
      for (const text of [...texts, ...own]) {
        const tagged = tagger.tag({ title: text, abstract: '' }).length > 0;
        if (tagged !== regex.test(text)) {
          throw new Error(`rule ${rule.topic} /${rule.pattern}/: tagger says ${tagged} for ${JSON.stringify(text)}`);
        }
      }
    }
  });

  it('finds the same with every default rule on RE2JS, the linear-time engine', () => {
    // As above, in the abstract, where the score tells how many matches there were, and with the engine of
    // rules that could backtrack catastrophically forced on every rule: the same tags, scores and all.
    const rules = readDefaultRules();
    const texts = sample.flatMap((r) => [r.title, r.abstract]);
    for (const rule of rules) {
      const auto = compileTagger([{ ...rule, weight: 10 }]);
      const linear = compileTagger([{ ...rule, weight: 10 }], { engine: 'linear' });
      const own = (requiredLiterals(rule.pattern) ?? []).map((literal) => `A study of ${literal.trim()} methods.`);
      for (const text of [...texts, ...own]) {
        const paper = { title: '', abstract: text };
        const expected = auto.tag(paper);
        const actual = linear.tag(paper);
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          throw new Error(
            `rule ${rule.topic} /${rule.pattern}/: ${JSON.stringify(actual)} for ${JSON.stringify(text)}`,
          );
        }
      }
    }
  });

  it('lets a lookahead require words without claiming them, on either engine', () => {
    const rules: TopicRule[] = [
      { topic: 'efficiency', pattern: 'efficient(?= training)', weight: 3 },
      { topic: 'training', pattern: 'training', weight: 3 },
    ];
    for (const engine of ['auto', 'linear'] as const) {
      const tagger = compileTagger(rules, { engine });
      // Had the match of "efficient(?= training)" claimed " training", it would shadow the match of "training".
      expect(tagger.tag({ title: 'Efficient training', abstract: '' }).map((t) => t.topic)).toEqual([
        'efficiency',
        'training',
      ]);
      expect(tagger.tag({ title: 'Efficient inference', abstract: '' })).toEqual([]);
    }
  });

  it('works out the prefixes a match must start with, and the literals it must contain', () => {
    expect(matchPrefixes('chain[- ]of[- ]thoughts?|CoTs?')).toEqual(new Set(['chai', 'cot', 'cots']));
    expect(matchPrefixes('(LLM|language) agents?')).toEqual(new Set(['llm ', 'lang']));
    // Starts with any of 36 characters: too unselective, so the tagger scans for its literal instead.
    expect(matchPrefixes('[a-z0-9]+-?Bench')?.size).toBe(36);
    expect(requiredLiterals('[a-z0-9]+-?Bench')).toEqual(['bench']);
  });

  it('weighs the title above the abstract and ranks topics by evidence, best first', () => {
    const rules: TopicRule[] = [
      { topic: 'video', pattern: 'video', weight: 4 },
      { topic: 'speech', pattern: 'speech', weight: 4 },
    ];
    const tagger = compileTagger(rules);
    const tags = tagger.tag({ title: 'Speech models', abstract: 'We test on video, video and more video.' });
    expect(tags.map((t) => t.topic)).toEqual(['speech', 'video']);
    expect(tags[0]?.score).toBeGreaterThan(tags[1]?.score ?? 1);
    for (const tag of tags) {
      expect(tag.score).toBeGreaterThan(0);
      expect(tag.score).toBeLessThanOrEqual(1);
    }
  });

  it('drops a topic mentioned in passing next to a strong one', () => {
    const tagger = compileTagger([
      { topic: 'agents', pattern: 'agents?', weight: 3 },
      { topic: 'vision', pattern: 'images?', weight: 1 },
    ]);
    const tags = tagger.tag({
      title: 'Agents that browse: web agents for everyone',
      abstract: 'Our agent plans and acts; the agent reads one image.',
    });
    expect(tags.map((t) => t.topic)).toEqual(['agents']);
  });

  it('lets a longer match of another topic shadow a shorter one inside it', () => {
    const tagger = compileTagger([
      { topic: 'pre-training', pattern: 'pre-?training', weight: 3 },
      { topic: 'continual-pre-training', pattern: 'continual pre-?training', weight: 3 },
    ]);
    expect(tagger.tag({ title: 'Continual pre-training of language models', abstract: '' })).toEqual([
      { topic: 'continual-pre-training', score: expect.any(Number) },
    ]);
  });

  it(`keeps at most ${MAX_TOPICS} topics`, () => {
    const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
    const tagger = compileTagger(words.map((w) => ({ topic: w, pattern: w, weight: 3 })));
    expect(tagger.tag({ title: words.join(' '), abstract: '' })).toHaveLength(MAX_TOPICS);
  });

  it('rejects a rule it cannot run, naming the rule', () => {
    const bad: [TopicRule, RegExp][] = [
      [{ topic: 'x', pattern: '(unclosed', weight: 1 }, /"x" \/ "\(unclosed": not a valid regular expression/],
      [{ topic: 'x', pattern: '(?<=a)b', weight: 1 }, /lookbehind and named groups are not supported/],
      [{ topic: 'x', pattern: 'a?', weight: 1 }, /matches the empty string/],
      [{ topic: 'x', pattern: 'a', weight: 0 }, /weight must be a positive number/],
      [{ topic: ' ', pattern: 'a', weight: 1 }, /the topic is empty/],
    ];
    for (const [rule, message] of bad) expect(() => compileTagger([rule])).toThrow(message);
  });
});
