// The per-request loaders that are not tied to one field, so the dataloader plugin's own
// (t.loadable, t.loadableGroup, loadableNode) cannot be used: each is shared by several fields
// or resolves only some parents. Built through Pothos' createContextCache, so they live and die
// with the request's context, like the plugin's.
import { createContextCache } from '@pothos/core';
import DataLoader from 'dataloader';
import type { Context } from '../context.ts';
import { countPapers } from '../db/queries/paper-lists.ts';
import { findPaperLongTexts, type ListedPaper, type PaperTexts } from '../db/queries/papers.ts';
import { findTopicsOfPapers, type PaperTopicRow } from '../db/queries/topics.ts';
import { groupBy } from '../util/group-by.ts';

/**
 * The long texts of listed papers (lists leave them out): `abstract`, `keywords` and
 * `aiSummary` of a page of papers come from one statement.
 */
const longTextLoader = createContextCache(
  (ctx: Context) =>
    new DataLoader<number, PaperTexts>(async (ids) => {
      const byId = new Map((await findPaperLongTexts(ctx.db, ids)).map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? new Error(`Paper ${id} is gone.`));
    }),
);

export const longTexts = (ctx: Context, paper: ListedPaper) => longTextLoader(ctx).load(paper.id);

/** Gives the loaders a paper's long texts read elsewhere (a mutation's read-back). */
export const primeLongTexts = (ctx: Context, texts: PaperTexts) => longTextLoader(ctx).prime(texts.id, texts);

/** A paper's topics with their scores, best first: `topics` and `topicScores` share one statement. */
export const topicsOfPapers = createContextCache(
  (ctx: Context) =>
    new DataLoader<number, PaperTopicRow[]>(async (ids) => {
      const byPaper = groupBy(await findTopicsOfPapers(ctx.db, ids), (row) => row.paper_id);
      return ids.map((id) => byPaper.get(id) ?? []);
    }),
);

/**
 * Paper counts of areas. A topic under an area has no children (the tree has two levels) and
 * carries its count in its row; only areas are counted, all of a request's at once.
 */
export const areaPaperCounts = createContextCache(
  (ctx: Context) => new DataLoader<number, number>((ids) => countPapers(ctx.db, 'topic', ids, {})),
);
