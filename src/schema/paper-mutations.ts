import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { inTransaction } from '../db/database.ts';
import { clearManualTopics, setManualTopics } from '../db/queries/paper-topics.ts';
import { addVote, deletePaper, findPapersByIds, removeVote } from '../db/queries/papers.ts';
import { findAllTopics, findTopicsBySlugs, findTopicsOfPapers } from '../db/queries/topics.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { createPaper, type PaperFields, updatePaper } from '../services/papers.ts';
import { loadTagger, tagPapers } from '../topics/tagging.ts';
import { mutationErrors } from './errors.ts';
import { parseGlobalId } from './global-id.ts';
import { Paper } from './paper.ts';

/** upvotePaper and removeUpvote: change this key's vote, tell subscribers when the count moved. */
async function vote(ctx: Context, globalId: string | number, change: typeof addVote) {
  const id = paperId(globalId);
  await loadPaper(ctx, id);
  const upvotes = await change(ctx.db, id, ctx.viewer?.keyId ?? 0);
  if (upvotes !== undefined) ctx.pubsub.publish('paper:upvoted', id, { paperId: id });
  return { paperId: id, changed: upvotes !== undefined };
}

/** The paper a mutation names, by global id; NotFoundError when it does not exist. */
function paperId(id: string | number): number {
  try {
    return parseGlobalId(String(id), 'Paper');
  } catch (error) {
    throw new ValidationError([{ field: 'input.id', message: (error as Error).message }]);
  }
}

async function loadPaper(ctx: Context, id: number) {
  const [paper] = await findPapersByIds(ctx.db, [id]);
  if (!paper) throw new NotFoundError('No paper has this id.');
  return paper;
}

/** Tells subscribers; the payload names the paper's topics (and their areas) so that they filter without a query. */
async function publishAdded(ctx: Context, paperId: number) {
  const topics = await findTopicsOfPapers(ctx.db, [paperId]);
  const all = await findAllTopics(ctx.db);
  const slugs = new Set(topics.flatMap((t) => [t.slug, all.find((a) => a.id === t.parent_id)?.slug ?? t.slug]));
  ctx.pubsub.publish('paper:added', { paperId, topics: [...slugs] });
}

const PaperFieldsInput = {
  arxivId: 'The arXiv identifier, e.g. `2406.02214` (unique).',
  title: 'The title (whitespace is collapsed).',
  abstract: 'The abstract.',
  authorsCount: 'The number of authors, when the names are not all known.',
  organization: 'The handle of the organization behind the paper (created if new).',
  githubUrl: 'The GitHub repository, as https://github.com/owner/repo.',
  projectUrl: 'The project page, an http(s) URL.',
} as const;

export const CreatePaperInput = builder.inputType('CreatePaperInput', {
  description: 'A new paper. Its topics come from the tagger, unless set later with `setPaperTopics`.',
  fields: (t) => ({
    arxivId: t.string({ description: PaperFieldsInput.arxivId }),
    title: t.string({ required: true, description: PaperFieldsInput.title }),
    abstract: t.string({ description: PaperFieldsInput.abstract }),
    authors: t.stringList({ description: 'Author names, in order.' }),
    authorsCount: t.int({ description: PaperFieldsInput.authorsCount }),
    publishedAt: t.field({ type: 'Date', description: 'The publication day.' }),
    featuredOn: t.field({ type: 'Date', description: 'The Daily Papers day.' }),
    organization: t.string({ description: PaperFieldsInput.organization }),
    githubUrl: t.string({ description: PaperFieldsInput.githubUrl }),
    projectUrl: t.string({ description: PaperFieldsInput.projectUrl }),
    keywords: t.stringList({ description: 'Keywords.' }),
    clientMutationId: t.string({ description: 'Echoed in the payload, for Relay clients.' }),
  }),
});

export const UpdatePaperInput = builder.inputType('UpdatePaperInput', {
  description: 'Changes to a paper: fields left out stay as they are; null clears a field that may be empty.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The global ID of the paper.' }),
    arxivId: t.string({ description: PaperFieldsInput.arxivId }),
    title: t.string({ description: PaperFieldsInput.title }),
    abstract: t.string({ description: PaperFieldsInput.abstract }),
    authors: t.stringList({ description: 'Author names, in order; replaces the list.' }),
    authorsCount: t.int({ description: PaperFieldsInput.authorsCount }),
    publishedAt: t.field({ type: 'Date', description: 'The publication day.' }),
    featuredOn: t.field({ type: 'Date', description: 'The Daily Papers day.' }),
    organization: t.string({ description: PaperFieldsInput.organization }),
    githubUrl: t.string({ description: PaperFieldsInput.githubUrl }),
    projectUrl: t.string({ description: PaperFieldsInput.projectUrl }),
    keywords: t.stringList({ description: 'Keywords; replaces the list.' }),
    clientMutationId: t.string({ description: 'Echoed in the payload, for Relay clients.' }),
  }),
});

const PaperIdInput = (name: string, description: string) =>
  builder.inputType(name, {
    description,
    fields: (t) => ({
      id: t.id({ required: true, description: 'The global ID of the paper.' }),
      clientMutationId: t.string({ description: 'Echoed in the payload, for Relay clients.' }),
    }),
  });

const DeletePaperInput = PaperIdInput('DeletePaperInput', 'The paper to delete.');
const UpvotePaperInput = PaperIdInput('UpvotePaperInput', 'The paper to upvote.');
const RemoveUpvoteInput = PaperIdInput('RemoveUpvoteInput', 'The paper whose upvote to take back.');

const TopicScoreInput = builder.inputType('TopicScoreInput', {
  description: 'A topic given to a paper by hand.',
  fields: (t) => ({
    slug: t.string({ required: true, description: 'The topic slug (a topic without children).' }),
    score: t.float({ defaultValue: 1, description: 'The relevance, above 0 and at most 1; 1 unless given.' }),
  }),
});

const SetPaperTopicsInput = builder.inputType('SetPaperTopicsInput', {
  description: 'Topics set by hand: they replace the paper’s topics and the tagger no longer changes them.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The global ID of the paper.' }),
    topics: t.field({
      type: [TopicScoreInput],
      required: true,
      description: 'Up to 4 topics, most relevant first; an empty list gives the paper back to the tagger.',
    }),
    clientMutationId: t.string({ description: 'Echoed in the payload, for Relay clients.' }),
  }),
});

interface PaperPayloadShape {
  paperId: number;
  clientMutationId?: string | null | undefined;
  changed?: boolean;
}

const payload = (name: string, description: string, changed?: string) =>
  builder.objectRef<PaperPayloadShape>(name).implement({
    description,
    fields: (t) => ({
      paper: t.field({
        type: Paper,
        nullable: false,
        description: 'The paper, as it is now.',
        resolve: (p) => p.paperId,
      }),
      clientMutationId: t.exposeString('clientMutationId', { nullable: true, description: 'As sent in the input.' }),
      ...(changed
        ? { changed: t.boolean({ nullable: false, description: changed, resolve: (p) => p.changed ?? false }) }
        : {}),
    }),
  });

const CreatePaperPayload = payload('CreatePaperPayload', 'The paper created.');
const UpdatePaperPayload = payload('UpdatePaperPayload', 'The paper updated.');
const UpvotePaperPayload = payload(
  'UpvotePaperPayload',
  'The paper upvoted.',
  'False when this key had already upvoted it.',
);
const RemoveUpvotePayload = payload('RemoveUpvotePayload', 'The paper.', 'False when this key had not upvoted it.');
const SetPaperTopicsPayload = payload('SetPaperTopicsPayload', 'The paper with its new topics.');
const DeletePaperPayload = builder
  .objectRef<{ deletedId: string; clientMutationId?: string | null }>('DeletePaperPayload')
  .implement({
    description: 'The paper deleted.',
    fields: (t) => ({
      deletedPaperId: t.id({
        nullable: false,
        description: 'The global ID the paper had.',
        resolve: (p) => p.deletedId,
      }),
      clientMutationId: t.exposeString('clientMutationId', { nullable: true, description: 'As sent in the input.' }),
    }),
  });

function toFields(input: Record<string, unknown>): PaperFields {
  const { id: _id, clientMutationId: _c, ...fields } = input;
  return fields as PaperFields;
}

builder.mutationFields((t) => ({
  createPaper: t.field({
    type: CreatePaperPayload,
    description: 'Adds a paper (scope `write`). Its topics come from the tagger.',
    authScopes: { write: true },
    errors: mutationErrors('createPaper'),
    args: { input: t.arg({ type: CreatePaperInput, required: true, description: 'The paper.' }) },
    resolve: async (_root, { input }, ctx) => {
      const id = await inTransaction(ctx.db, (trx) => createPaper(trx, toFields(input)));
      await publishAdded(ctx, id);
      return { paperId: id, clientMutationId: input.clientMutationId };
    },
  }),
  updatePaper: t.field({
    type: UpdatePaperPayload,
    description: 'Changes a paper (scope `write`); re-tags it when its text changes.',
    authScopes: { write: true },
    errors: mutationErrors('updatePaper'),
    args: { input: t.arg({ type: UpdatePaperInput, required: true, description: 'The changes.' }) },
    resolve: async (_root, { input }, ctx) => {
      const id = paperId(input.id);
      await inTransaction(ctx.db, (trx) => updatePaper(trx, id, toFields(input)));
      return { paperId: id, clientMutationId: input.clientMutationId };
    },
  }),
  deletePaper: t.field({
    type: DeletePaperPayload,
    description: 'Deletes a paper with its topics, authors list and votes (scope `write`).',
    authScopes: { write: true },
    errors: mutationErrors('deletePaper'),
    args: { input: t.arg({ type: DeletePaperInput, required: true, description: 'The paper.' }) },
    resolve: async (_root, { input }, ctx) => {
      if (!(await deletePaper(ctx.db, paperId(input.id)))) throw new NotFoundError('No paper has this id.');
      return { deletedId: String(input.id), clientMutationId: input.clientMutationId };
    },
  }),
  upvotePaper: t.field({
    type: UpvotePaperPayload,
    description: 'Upvotes a paper: one vote per API key (scope `write`); voting again changes nothing.',
    authScopes: { write: true },
    errors: mutationErrors('upvotePaper'),
    args: { input: t.arg({ type: UpvotePaperInput, required: true, description: 'The paper.' }) },
    resolve: async (_root, { input }, ctx) => ({
      ...(await vote(ctx, input.id, addVote)),
      clientMutationId: input.clientMutationId,
    }),
  }),
  removeUpvote: t.field({
    type: RemoveUpvotePayload,
    description: 'Takes back this API key’s upvote of a paper (scope `write`).',
    authScopes: { write: true },
    errors: mutationErrors('removeUpvote'),
    args: { input: t.arg({ type: RemoveUpvoteInput, required: true, description: 'The paper.' }) },
    resolve: async (_root, { input }, ctx) => ({
      ...(await vote(ctx, input.id, removeVote)),
      clientMutationId: input.clientMutationId,
    }),
  }),
  setPaperTopics: t.field({
    type: SetPaperTopicsPayload,
    description: 'Sets a paper’s topics by hand (scope `write`); the tagger leaves them alone from then on.',
    authScopes: { write: true },
    errors: mutationErrors('setPaperTopics'),
    args: { input: t.arg({ type: SetPaperTopicsInput, required: true, description: 'The paper and its topics.' }) },
    resolve: async (_root, { input }, ctx) => {
      const id = paperId(input.id);
      const slugs = input.topics.map((x) => x.slug);
      const issues = [];
      if (slugs.length > 4) issues.push({ field: 'input.topics', message: 'at most 4 topics' });
      if (new Set(slugs).size !== slugs.length)
        issues.push({ field: 'input.topics', message: 'a topic is listed twice' });
      const found = await findTopicsBySlugs(ctx.db, slugs);
      const parents = new Set((await findAllTopics(ctx.db)).map((x) => x.parent_id));
      input.topics.forEach((x, i) => {
        const topic = found.find((f) => f.slug === x.slug);
        if (!topic) issues.push({ field: `input.topics.${i}.slug`, message: `no topic has the slug "${x.slug}"` });
        else if (parents.has(topic.id))
          issues.push({ field: `input.topics.${i}.slug`, message: `"${x.slug}" is an area; use one of its topics` });
        const score = x.score ?? 1;
        if (!(score > 0 && score <= 1))
          issues.push({ field: `input.topics.${i}.score`, message: 'must be above 0 and at most 1' });
      });
      if (issues.length > 0) throw new ValidationError(issues);
      await inTransaction(ctx.db, async (trx) => {
        const [paper] = await findPapersByIds(trx, [id]);
        if (!paper) throw new NotFoundError('No paper has this id.');
        if (input.topics.length === 0) {
          await clearManualTopics(trx, id);
          return tagPapers(trx, await loadTagger(trx), [id]);
        }
        await setManualTopics(
          trx,
          id,
          input.topics.map((x) => ({ topic_id: found.find((f) => f.slug === x.slug)?.id ?? 0, score: x.score ?? 1 })),
        );
      });
      return { paperId: id, clientMutationId: input.clientMutationId };
    },
  }),
}));
