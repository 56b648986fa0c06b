import { builder } from '../builder.ts';
import { createTopic, updateTopic } from '../services/topics.ts';
import { mutationErrors } from './errors.ts';
import { Topic } from './topic.ts';

const TopicRuleInput = builder.inputType('TopicRuleInput', {
  description: 'A tagger rule: a paper whose title or abstract matches the pattern counts towards the topic.',
  fields: (t) => ({
    pattern: t.string({
      required: true,
      description:
        'A case-insensitive regular expression, matched on word boundaries, in a language that runs in linear time: no backreferences, lookbehind, negative lookahead or named groups; a lookahead only at the end of an alternative; no repeated part that can match the empty string.',
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

builder.mutationFields((t) => ({
  createTopic: t.field({
    type: topicPayload('CreateTopicPayload'),
    description: 'Adds a topic with its tagger rules, and re-tags the papers they match (scope `admin`).',
    authScopes: { admin: true },
    errors: mutationErrors('createTopic'),
    args: { input: t.arg({ type: CreateTopicInput, required: true, description: 'The topic.' }) },
    resolve: async (_root, { input }, ctx) => {
      const result = await createTopic(ctx.db, input);
      ctx.pubsub.publish('taxonomy:changed');
      return { ...result, clientMutationId: input.clientMutationId };
    },
  }),
  updateTopic: t.field({
    type: topicPayload('UpdateTopicPayload'),
    description: 'Changes a topic; new rules re-tag the papers they or the old rules match (scope `admin`).',
    authScopes: { admin: true },
    errors: mutationErrors('updateTopic'),
    args: { input: t.arg({ type: UpdateTopicInput, required: true, description: 'The changes.' }) },
    resolve: async (_root, { input }, ctx) => ({
      ...(await updateTopic(ctx.db, input.slug, input)),
      clientMutationId: input.clientMutationId,
    }),
  }),
}));
