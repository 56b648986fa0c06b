import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { type Db, inTransaction } from '../db/database.ts';
import { findPaperIdsMatching } from '../db/queries/papers.ts';
import {
  findAllTopics,
  findPaperIdsOfTopic,
  findTopicsBySlugs,
  insertTopic,
  replaceTopicRules,
  updateTopic,
} from '../db/queries/topics.ts';
import { type FieldIssue, NotFoundError, ValidationError } from '../errors.ts';
import { compileTagger } from '../topics/tagger.ts';
import { loadTagger, tagPapers } from '../topics/tagging.ts';
import { mutationErrors } from './errors.ts';
import { Topic } from './topic.ts';

const TopicRuleInput = builder.inputType('TopicRuleInput', {
  description: 'A tagger rule: a paper whose title or abstract matches the pattern counts towards the topic.',
  fields: (t) => ({
    pattern: t.string({
      required: true,
      description: 'A case-insensitive regular expression, matched on word boundaries (no lookbehind or named groups).',
    }),
    weight: t.float({ defaultValue: 1, description: 'How much a match counts (above 0); 1 unless given.' }),
  }),
});

const CreateTopicInput = builder.inputType('CreateTopicInput', {
  description: 'A new topic of the taxonomy, with the rules that tag papers with it.',
  fields: (t) => ({
    slug: t.string({ required: true, description: 'The stable identifier: lower case words joined by hyphens.' }),
    name: t.string({ required: true, description: 'The name, for people.' }),
    description: t.string({ description: 'What the topic covers.' }),
    parent: t.string({ description: 'The slug of the area it belongs to; none for a new area.' }),
    rules: t.field({ type: [TopicRuleInput], description: 'The tagger rules; papers matching them are re-tagged.' }),
    clientMutationId: t.string({ description: 'Echoed in the payload, for Relay clients.' }),
  }),
});

const UpdateTopicInput = builder.inputType('UpdateTopicInput', {
  description: 'Changes to a topic; fields left out stay as they are.',
  fields: (t) => ({
    slug: t.string({ required: true, description: 'The topic to change.' }),
    name: t.string({ description: 'The new name.' }),
    description: t.string({ description: 'The new description.' }),
    rules: t.field({ type: [TopicRuleInput], description: 'Replaces the rules; affected papers are re-tagged.' }),
    clientMutationId: t.string({ description: 'Echoed in the payload, for Relay clients.' }),
  }),
});

interface TopicPayloadShape {
  topicId: number;
  retagged: number;
  clientMutationId?: string | null | undefined;
}

const topicPayload = (name: string) =>
  builder.objectRef<TopicPayloadShape>(name).implement({
    description: 'The topic, and how many papers were re-tagged.',
    fields: (t) => ({
      topic: t.field({
        type: Topic,
        nullable: false,
        description: 'The topic, as it is now.',
        resolve: (p) => p.topicId,
      }),
      retaggedPapers: t.exposeInt('retagged', {
        nullable: false,
        description: 'Papers re-tagged because of the change (those matching the old or new rules).',
      }),
      clientMutationId: t.exposeString('clientMutationId', { nullable: true, description: 'As sent in the input.' }),
    }),
  });

type RuleInput = { pattern: string; weight?: number | null };

function checkRules(slug: string, rules: readonly RuleInput[], issues: FieldIssue[]) {
  rules.forEach((rule, i) => {
    const weight = rule.weight ?? 1;
    if (!(weight > 0)) issues.push({ field: `input.rules.${i}.weight`, message: 'must be above 0' });
    try {
      compileTagger([{ topic: slug, pattern: rule.pattern, weight: weight > 0 ? weight : 1 }]);
    } catch (error) {
      issues.push({ field: `input.rules.${i}.pattern`, message: (error as Error).message });
    }
  });
}

/** Re-tags the papers a rule change can affect: those with the topic now, and those matching a rule. */
async function retag(db: Db, topicId: number, patterns: string[]): Promise<number> {
  let matching: number[];
  try {
    matching = await findPaperIdsMatching(db, patterns);
  } catch (error) {
    // A pattern JavaScript accepts that PostgreSQL's regular expressions do not.
    if ((error as { code?: string }).code !== '2201B') throw error;
    throw new ValidationError([
      { field: 'input.rules', message: `a pattern is not a valid regular expression: ${(error as Error).message}` },
    ]);
  }
  const ids = new Set([...(await findPaperIdsOfTopic(db, topicId)), ...matching]);
  return ids.size > 0 ? tagPapers(db, await loadTagger(db), [...ids]) : 0;
}

const asRules = (rules: readonly RuleInput[]) => rules.map((r) => ({ pattern: r.pattern, weight: r.weight ?? 1 }));

builder.mutationFields((t) => ({
  createTopic: t.field({
    type: topicPayload('CreateTopicPayload'),
    description: 'Adds a topic with its tagger rules, and re-tags the papers they match (scope `admin`).',
    authScopes: { admin: true },
    errors: mutationErrors('createTopic'),
    args: { input: t.arg({ type: CreateTopicInput, required: true, description: 'The topic.' }) },
    resolve: async (_root, { input }, ctx: Context) => {
      const issues: FieldIssue[] = [];
      if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(input.slug))
        issues.push({ field: 'input.slug', message: 'must be lower case words joined by hyphens' });
      if (!input.name.trim()) issues.push({ field: 'input.name', message: 'must not be empty' });
      const all = await findAllTopics(ctx.db);
      if (all.some((x) => x.slug === input.slug))
        issues.push({ field: 'input.slug', message: 'a topic has this slug already' });
      const parent = input.parent ? all.find((x) => x.slug === input.parent) : undefined;
      if (input.parent && !parent)
        issues.push({ field: 'input.parent', message: `no topic has the slug "${input.parent}"` });
      if (parent?.parent_id)
        issues.push({ field: 'input.parent', message: 'topics have two levels: the parent must be an area' });
      checkRules(input.slug, input.rules ?? [], issues);
      if (issues.length > 0) throw new ValidationError(issues);
      const rules = asRules(input.rules ?? []);
      const result = await inTransaction(ctx.db, async (trx) => {
        const topic = await insertTopic(trx, {
          slug: input.slug,
          name: input.name.trim(),
          description: input.description ?? '',
          parent_id: parent?.id ?? null,
        });
        await replaceTopicRules(trx, topic.id, rules);
        return {
          topicId: topic.id,
          retagged: await retag(
            trx,
            topic.id,
            rules.map((r) => r.pattern),
          ),
        };
      });
      return { ...result, clientMutationId: input.clientMutationId };
    },
  }),
  updateTopic: t.field({
    type: topicPayload('UpdateTopicPayload'),
    description: 'Changes a topic; new rules re-tag the papers they or the old rules match (scope `admin`).',
    authScopes: { admin: true },
    errors: mutationErrors('updateTopic'),
    args: { input: t.arg({ type: UpdateTopicInput, required: true, description: 'The changes.' }) },
    resolve: async (_root, { input }, ctx: Context) => {
      const [topic] = await findTopicsBySlugs(ctx.db, [input.slug]);
      if (!topic) throw new NotFoundError(`No topic has the slug "${input.slug}".`);
      const issues: FieldIssue[] = [];
      if (input.name != null && !input.name.trim()) issues.push({ field: 'input.name', message: 'must not be empty' });
      checkRules(input.slug, input.rules ?? [], issues);
      if (issues.length > 0) throw new ValidationError(issues);
      const result = await inTransaction(ctx.db, async (trx) => {
        await updateTopic(trx, topic.id, {
          name: input.name?.trim() ?? undefined,
          description: input.description ?? undefined,
        });
        if (!input.rules) return { topicId: topic.id, retagged: 0 };
        const rules = asRules(input.rules);
        const old = await replaceTopicRules(trx, topic.id, rules);
        return { topicId: topic.id, retagged: await retag(trx, topic.id, [...old, ...rules.map((r) => r.pattern)]) };
      });
      return { ...result, clientMutationId: input.clientMutationId };
    },
  }),
}));
