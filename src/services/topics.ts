// Writes to topics and to a paper's topics: the taxonomy's rules checked here, the rows
// written as catalogue writes (one at a time, see db/transaction.ts), affected papers re-tagged.
import type { Db } from '../db/database.ts';
import { clearManualTopics, setManualTopics } from '../db/queries/paper-topics.ts';
import { findPapersByIds } from '../db/queries/papers.ts';
import { findPaperIdsMatching, InvalidPatternError, replaceTopicRules } from '../db/queries/topic-rules.ts';
import { findLeafTopics } from '../db/queries/topic-tree.ts';
import {
  findAllTopics,
  findPaperIdsOfTopic,
  findTopicsBySlugs,
  insertTopic,
  updateTopic as updateTopicRow,
} from '../db/queries/topics.ts';
import { inWriteTransaction } from '../db/transaction.ts';
import { type FieldIssue, NotFoundError, ValidationError } from '../errors.ts';
import { cleanText, LIST_LIMITS, TEXT_LIMITS, textProblem } from '../paper-values.ts';
import { loadTagger, tagPapers } from '../topics/tag-papers.ts';
import { compileTagger } from '../topics/tagger.ts';
import { readWrittenPaper, type WrittenPaper } from './papers.ts';

export interface RuleInput {
  pattern: string;
  weight?: number | null | undefined;
}

export interface TopicFields {
  name?: string | null | undefined;
  description?: string | null | undefined;
  rules?: readonly RuleInput[] | null | undefined;
}

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** The problems of a topic's name and description; returns them cleaned. */
function checkNames(fields: TopicFields, creating: boolean, issues: FieldIssue[]) {
  const add = (field: string, message: string) => issues.push({ field: `input.${field}`, message });
  let name: string | undefined;
  if (fields.name != null || creating) {
    const problem = textProblem(fields.name ?? '', 'topicName');
    name = problem ? undefined : cleanText(fields.name ?? '', 'topicName');
    if (problem) add('name', problem);
    else if (!name) add('name', 'must not be empty');
  }
  let description: string | undefined;
  if (fields.description != null) {
    const problem = textProblem(fields.description, 'topicDescription');
    if (problem) add('description', problem);
    else description = cleanText(fields.description, 'topicDescription');
  }
  return { name, description };
}

/** The problems of a topic's rules: each must compile (the tagger refuses what it cannot run safely). */
function checkRules(slug: string, rules: readonly RuleInput[], issues: FieldIssue[]) {
  const add = (field: string, message: string) => issues.push({ field: `input.${field}`, message });
  if (rules.length > LIST_LIMITS.rulesPerTopic) add('rules', `at most ${LIST_LIMITS.rulesPerTopic} rules`);
  rules.forEach((rule, i) => {
    const weight = rule.weight ?? 1;
    if (!(weight > 0 && weight <= 100)) add(`rules.${i}.weight`, 'must be above 0 and at most 100');
    const problem = textProblem(rule.pattern, 'rulePattern');
    if (problem) {
      add(`rules.${i}.pattern`, problem);
      return;
    }
    try {
      compileTagger([{ topic: slug, pattern: rule.pattern, weight: weight > 0 ? weight : 1 }]);
    } catch (error) {
      add(`rules.${i}.pattern`, (error as Error).message);
    }
  });
}

const asRules = (rules: readonly RuleInput[]) => rules.map((r) => ({ pattern: r.pattern, weight: r.weight ?? 1 }));

/** Re-tags the papers a rule change can affect: those with the topic now, and those matching a rule. */
async function retag(db: Db, topicId: number, patterns: string[]): Promise<number> {
  let matching: number[];
  try {
    matching = await findPaperIdsMatching(db, patterns);
  } catch (error) {
    if (!(error instanceof InvalidPatternError)) throw error;
    // A pattern JavaScript accepts that PostgreSQL's regular expressions do not.
    throw new ValidationError([
      { field: 'input.rules', message: `a pattern is not a valid regular expression: ${error.message}` },
    ]);
  }
  const ids = new Set([...(await findPaperIdsOfTopic(db, topicId)), ...matching]);
  return ids.size > 0 ? tagPapers(db, await loadTagger(db), [...ids]) : 0;
}

export interface TopicWrite {
  topicId: number;
  /** Papers re-tagged because of the change. */
  retagged: number;
}

/** Adds a topic with its rules, and re-tags the papers they match. */
export async function createTopic(
  db: Db,
  input: TopicFields & { slug: string; parent?: string | null | undefined },
): Promise<TopicWrite> {
  // Checked inside the write, against the taxonomy as it is when the topic goes in.
  return inWriteTransaction(db, async (trx) => {
    const issues: FieldIssue[] = [];
    const slugProblem = textProblem(input.slug, 'topicSlug');
    if (slugProblem) issues.push({ field: 'input.slug', message: slugProblem });
    else if (!SLUG.test(input.slug)) {
      issues.push({ field: 'input.slug', message: 'must be lower case words joined by hyphens' });
    }
    const { name, description } = checkNames(input, true, issues);
    const all = await findAllTopics(trx);
    if (all.some((x) => x.slug === input.slug))
      issues.push({ field: 'input.slug', message: 'a topic has this slug already' });
    const parent = input.parent ? all.find((x) => x.slug === input.parent) : undefined;
    if (input.parent && !parent) {
      issues.push({ field: 'input.parent', message: `no topic has the slug "${input.parent.slice(0, 100)}"` });
    }
    if (parent?.parent_id) {
      issues.push({ field: 'input.parent', message: 'topics have two levels: the parent must be an area' });
    }
    checkRules(input.slug, input.rules ?? [], issues);
    if (issues.length > 0) throw new ValidationError(issues);
    const rules = asRules(input.rules ?? []);
    const topic = await insertTopic(trx, {
      slug: input.slug,
      name: name ?? '',
      description: description ?? '',
      parent_id: parent?.id ?? null,
    });
    await replaceTopicRules(trx, topic.id, rules);
    const retagged = await retag(
      trx,
      topic.id,
      rules.map((r) => r.pattern),
    );
    return { topicId: topic.id, retagged };
  });
}

/** Changes a topic; new rules re-tag the papers they or the old rules match. */
export async function updateTopic(db: Db, slug: string, fields: TopicFields): Promise<TopicWrite> {
  const issues: FieldIssue[] = [];
  const slugProblem = textProblem(slug, 'topicSlug');
  if (slugProblem) issues.push({ field: 'input.slug', message: slugProblem });
  const { name, description } = checkNames(fields, false, issues);
  checkRules(slug, fields.rules ?? [], issues);
  if (issues.length > 0) throw new ValidationError(issues);
  return inWriteTransaction(db, async (trx) => {
    const [topic] = await findTopicsBySlugs(trx, [slug]);
    if (!topic) throw new NotFoundError(`No topic has the slug "${slug.slice(0, 100)}".`);
    await updateTopicRow(trx, topic.id, { name, description });
    if (!fields.rules) return { topicId: topic.id, retagged: 0 };
    const rules = asRules(fields.rules);
    const old = await replaceTopicRules(trx, topic.id, rules);
    return { topicId: topic.id, retagged: await retag(trx, topic.id, [...old, ...rules.map((r) => r.pattern)]) };
  });
}

export interface TopicScoreInput {
  slug: string;
  score?: number | null | undefined;
}

/**
 * Sets a paper's topics by hand (the tagger leaves them alone from then on); an empty list
 * gives the paper back to the tagger. Concurrent calls on one paper queue: the paper ends with
 * exactly one caller's topics, the last one's.
 */
export async function setPaperTopics(
  db: Db,
  paperId: number,
  topics: readonly TopicScoreInput[],
): Promise<WrittenPaper> {
  return inWriteTransaction(db, async (trx) => {
    const issues: FieldIssue[] = [];
    if (topics.length > LIST_LIMITS.topicsPerPaper) {
      issues.push({ field: 'input.topics', message: `at most ${LIST_LIMITS.topicsPerPaper} topics` });
    }
    const slugs = topics.map((x) => x.slug);
    if (new Set(slugs).size !== slugs.length)
      issues.push({ field: 'input.topics', message: 'a topic is listed twice' });
    const leaves = new Map((await findLeafTopics(trx)).map((t) => [t.slug, t]));
    const known = new Set(
      (
        await findTopicsBySlugs(
          trx,
          slugs.filter((slug) => !textProblem(slug, 'topicSlug')),
        )
      ).map((t) => t.slug),
    );
    const rows: { topic_id: number; score: number }[] = [];
    topics.forEach((x, i) => {
      const topic = leaves.get(x.slug);
      const problem = textProblem(x.slug, 'topicSlug');
      if (problem) issues.push({ field: `input.topics.${i}.slug`, message: problem });
      else if (!topic) {
        const message = known.has(x.slug)
          ? `"${x.slug}" is an area; use one of its topics`
          : `no topic has the slug "${x.slug.slice(0, TEXT_LIMITS.topicSlug)}"`;
        issues.push({ field: `input.topics.${i}.slug`, message });
      }
      const score = x.score ?? 1;
      if (!(score > 0 && score <= 1)) {
        issues.push({ field: `input.topics.${i}.score`, message: 'must be above 0 and at most 1' });
      }
      if (topic) rows.push({ topic_id: topic.id, score });
    });
    if (issues.length > 0) throw new ValidationError(issues);
    const [paper] = await findPapersByIds(trx, [paperId]);
    if (!paper) throw new NotFoundError('No paper has this id.');
    if (rows.length === 0) {
      await clearManualTopics(trx, paperId);
      await tagPapers(trx, await loadTagger(trx), [paperId]);
    } else {
      await setManualTopics(trx, paperId, rows);
    }
    return readWrittenPaper(trx, paperId);
  });
}
