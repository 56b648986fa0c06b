import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { PaperConflictError, ValidationError } from '../errors.ts';
import { announcePapersAdded } from '../pubsub.ts';
import {
  createPaper,
  deletePaper,
  type PaperFields,
  updatePaper,
  vote,
  type WrittenPaper,
} from '../services/papers.ts';
import { setPaperTopics } from '../services/topics.ts';
import { mutationErrors } from './errors.ts';
import { parseGlobalId } from './global-id.ts';
import { primeLongTexts, topicsOfPapers } from './loaders.ts';
import { Paper } from './paper.ts';

/** The paper a mutation names, by global id; a malformed id is the input's fault (ValidationError). */
function paperId(id: string | number): number {
  try {
    return parseGlobalId(String(id), 'Paper');
  } catch (error) {
    throw new ValidationError([{ field: 'input.id', message: (error as Error).message }]);
  }
}

/** The descriptions of the paper fields createPaper and updatePaper share. */
const FIELD_DESCRIPTIONS = {
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
    arxivId: t.string({ description: FIELD_DESCRIPTIONS.arxivId }),
    title: t.string({ required: true, description: FIELD_DESCRIPTIONS.title }),
    abstract: t.string({ description: FIELD_DESCRIPTIONS.abstract }),
    authors: t.stringList({ description: 'Author names, in order.' }),
    authorsCount: t.int({ description: FIELD_DESCRIPTIONS.authorsCount }),
    publishedAt: t.field({ type: 'Date', description: 'The publication day.' }),
    featuredOn: t.field({ type: 'Date', description: 'The Daily Papers day.' }),
    organization: t.string({ description: FIELD_DESCRIPTIONS.organization }),
    githubUrl: t.string({ description: FIELD_DESCRIPTIONS.githubUrl }),
    projectUrl: t.string({ description: FIELD_DESCRIPTIONS.projectUrl }),
    keywords: t.stringList({ description: 'Keywords.' }),
    clientMutationId: t.string({ description: 'Echoed in the payload, for Relay clients.' }),
  }),
});

export const UpdatePaperInput = builder.inputType('UpdatePaperInput', {
  description: 'Changes to a paper: fields left out stay as they are; null clears a field that may be empty.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The global ID of the paper.' }),
    arxivId: t.string({ description: FIELD_DESCRIPTIONS.arxivId }),
    title: t.string({ description: FIELD_DESCRIPTIONS.title }),
    abstract: t.string({ description: FIELD_DESCRIPTIONS.abstract }),
    authors: t.stringList({ description: 'Author names, in order; replaces the list.' }),
    authorsCount: t.int({ description: FIELD_DESCRIPTIONS.authorsCount }),
    publishedAt: t.field({ type: 'Date', description: 'The publication day.' }),
    featuredOn: t.field({ type: 'Date', description: 'The Daily Papers day.' }),
    organization: t.string({ description: FIELD_DESCRIPTIONS.organization }),
    githubUrl: t.string({ description: FIELD_DESCRIPTIONS.githubUrl }),
    projectUrl: t.string({ description: FIELD_DESCRIPTIONS.projectUrl }),
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
      // Nullable: the write has happened once this payload exists, so a field of the paper that
      // fails to load (after the commit) must not take the whole payload, and with it the news
      // that the write happened, down with it.
      paper: t.field({
        type: Paper,
        nullable: true,
        description:
          'The paper, as it is now. Null only when a part of it asked for could not be read after the write (an error says which): the write happened.',
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

/**
 * The payload of a write, from the paper as the write read it back: the request's loaders get
 * it, so that the payload's paper, its texts and topics resolve without the database (after a
 * commit, a failing read would answer an error for a write that happened).
 */
function answered(ctx: Context, written: WrittenPaper, input: { clientMutationId?: string | null | undefined }) {
  Paper.getDataloader(ctx).prime(written.paper.id, written.paper);
  primeLongTexts(ctx, written.texts);
  topicsOfPapers(ctx).prime(written.paper.id, written.topics);
  return { paperId: written.paper.id, clientMutationId: input.clientMutationId };
}

/** The paper fields of a create or update input (without the id and clientMutationId). */
function paperFieldsOf(input: PaperFields & { id?: unknown; clientMutationId?: unknown }): PaperFields {
  const { id: _id, clientMutationId: _c, ...fields } = input;
  return fields;
}

const withConflicts = (mutation: string) => {
  const options = mutationErrors(mutation);
  return { ...options, types: [...options.types, PaperConflictError] };
};

builder.mutationFields((t) => ({
  createPaper: t.field({
    type: CreatePaperPayload,
    description:
      'Adds a paper (scope `write`). Its topics come from the tagger. A paper that exists already (same arXiv id, or same title where either has none) is a PaperConflictError naming it.',
    authScopes: { write: true },
    errors: withConflicts('createPaper'),
    args: { input: t.arg({ type: CreatePaperInput, required: true, description: 'The paper.' }) },
    resolve: async (_root, { input }, ctx) => {
      const written = await createPaper(ctx.db, paperFieldsOf(input));
      announcePapersAdded(ctx.pubsub, [{ paperId: written.paper.id, topics: written.topicSlugs }]);
      return answered(ctx, written, input);
    },
  }),
  updatePaper: t.field({
    type: UpdatePaperPayload,
    description:
      'Changes a paper (scope `write`); re-tags it when its text changes. A new arXiv id or title that another paper has is a PaperConflictError.',
    authScopes: { write: true },
    errors: withConflicts('updatePaper'),
    args: { input: t.arg({ type: UpdatePaperInput, required: true, description: 'The changes.' }) },
    resolve: async (_root, { input }, ctx) => {
      return answered(ctx, await updatePaper(ctx.db, paperId(input.id), paperFieldsOf(input)), input);
    },
  }),
  deletePaper: t.field({
    type: DeletePaperPayload,
    description: 'Deletes a paper with its topics, authors list and votes (scope `write`).',
    authScopes: { write: true },
    errors: mutationErrors('deletePaper'),
    args: { input: t.arg({ type: DeletePaperInput, required: true, description: 'The paper.' }) },
    resolve: async (_root, { input }, ctx) => {
      await deletePaper(ctx.db, paperId(input.id));
      return { deletedId: String(input.id), clientMutationId: input.clientMutationId };
    },
  }),
  upvotePaper: t.field({
    type: UpvotePaperPayload,
    description: 'Upvotes a paper: one vote per API key (scope `write`); voting again changes nothing.',
    authScopes: { write: true },
    errors: mutationErrors('upvotePaper'),
    args: { input: t.arg({ type: UpvotePaperInput, required: true, description: 'The paper.' }) },
    resolve: async (_root, { input }, ctx) => {
      const id = paperId(input.id);
      const { changed, written } = await vote(ctx.db, id, ctx.viewer?.keyId ?? 0, 'up');
      if (changed) ctx.pubsub.publish('paper:upvoted', id, { paperId: id });
      return { ...answered(ctx, written, input), changed };
    },
  }),
  removeUpvote: t.field({
    type: RemoveUpvotePayload,
    description: 'Takes back this API key’s upvote of a paper (scope `write`).',
    authScopes: { write: true },
    errors: mutationErrors('removeUpvote'),
    args: { input: t.arg({ type: RemoveUpvoteInput, required: true, description: 'The paper.' }) },
    resolve: async (_root, { input }, ctx) => {
      const id = paperId(input.id);
      const { changed, written } = await vote(ctx.db, id, ctx.viewer?.keyId ?? 0, 'remove');
      if (changed) ctx.pubsub.publish('paper:upvoted', id, { paperId: id });
      return { ...answered(ctx, written, input), changed };
    },
  }),
  setPaperTopics: t.field({
    type: SetPaperTopicsPayload,
    description:
      'Sets a paper’s topics by hand (scope `write`); the tagger leaves them alone from then on. Concurrent calls on one paper queue: it ends with exactly one caller’s topics.',
    authScopes: { write: true },
    errors: mutationErrors('setPaperTopics'),
    args: { input: t.arg({ type: SetPaperTopicsInput, required: true, description: 'The paper and its topics.' }) },
    resolve: async (_root, { input }, ctx) => {
      return answered(ctx, await setPaperTopics(ctx.db, paperId(input.id), input.topics), input);
    },
  }),
}));
