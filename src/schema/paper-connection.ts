import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import {
  countPapers,
  findPaperPages,
  type Keyset,
  type PageSpec,
  type PaperFilter,
  type PaperOrder,
  type PaperOrderField,
  type Paper as PaperRow,
  type PaperScope,
  sortValue,
} from '../db/queries/papers.ts';
import { findTopicsBySlugs } from '../db/queries/topics.ts';
import { badUserInput } from '../errors.ts';
import { groupBy } from '../util/group-by.ts';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export const OrderDirection = builder.enumType('OrderDirection', {
  description: 'Which way a list is sorted.',
  values: {
    ASC: { value: 'asc', description: 'Smallest, oldest or A first.' },
    DESC: { value: 'desc', description: 'Largest, newest or Z first.' },
  } as const,
});

export const PaperOrderFieldEnum = builder.enumType('PaperOrderField', {
  description: 'What a list of papers can be sorted by. Ties are broken by the paper id, so the order is total.',
  values: {
    PUBLISHED_AT: { value: 'published_at', description: 'Publication date; papers without one sort as the oldest.' },
    FEATURED_ON: { value: 'featured_on', description: 'Daily Papers day; papers never featured sort as the oldest.' },
    UPVOTES: { value: 'upvotes', description: 'Number of upvotes.' },
    TITLE: { value: 'title', description: 'Title, in the database collation.' },
    TRENDING: {
      value: 'trending',
      description: 'The trending score (see `Paper.trendingScore`); its cursors are valid for the day they were made.',
    },
  } as const,
});

export const PaperOrderInput = builder.inputType('PaperOrder', {
  description: 'The order of a list of papers, in the style of GitHub: `{ field: UPVOTES, direction: DESC }`.',
  fields: (t) => ({
    field: t.field({ type: PaperOrderFieldEnum, required: true, description: 'The key to sort by.' }),
    direction: t.field({
      type: OrderDirection,
      required: true,
      defaultValue: 'desc',
      description: 'The direction; DESC (newest or most first) unless given.',
    }),
  }),
});

export const IntRangeInput = builder.inputType('IntRange', {
  description: 'An inclusive range of whole numbers; either end may be left open.',
  fields: (t) => ({
    min: t.int({ description: 'The smallest value allowed (inclusive).' }),
    max: t.int({ description: 'The largest value allowed (inclusive).' }),
  }),
});

export const PaperFilterInput = builder.inputType('PaperFilter', {
  description: 'Conditions on papers. Every condition given must hold (AND); dates and bounds are inclusive.',
  fields: (t) => ({
    topics: t.stringList({
      description:
        'Topic slugs; a paper matches when it has any of them. An area slug (e.g. `vision`) matches papers of any of its topics.',
    }),
    organization: t.string({ description: 'The name of the organization behind the paper (case-insensitive).' }),
    publishedAfter: t.field({ type: 'Date', description: 'Papers published on or after this date.' }),
    publishedBefore: t.field({ type: 'Date', description: 'Papers published on or before this date.' }),
    featuredOn: t.field({ type: 'Date', description: 'Papers featured on Daily Papers on this day.' }),
    featuredWeek: t.field({
      type: 'Date',
      description: 'Papers featured in the week (Monday to Sunday) of this day: a weekly listing.',
    }),
    featuredMonth: t.string({ description: 'Papers featured in this month, as `YYYY-MM`: a monthly listing.' }),
    minUpvotes: t.int({ description: 'Papers with at least this many upvotes.' }),
    authorsCount: t.field({
      type: IntRangeInput,
      description: 'Papers whose number of authors is in this range; papers with an unknown count never match.',
    }),
  }),
});

type FilterArg = typeof PaperFilterInput.$inferInput;
type OrderArg = typeof PaperOrderInput.$inferInput;

export interface PaperListArgs {
  first?: number | null | undefined;
  last?: number | null | undefined;
  after?: string | null | undefined;
  before?: string | null | undefined;
  filter?: FilterArg | null | undefined;
  orderBy?: OrderArg | null | undefined;
}

const DEFAULT_ORDER: PaperOrder = { field: 'published_at', direction: 'desc' };

interface PaperEdge {
  cursor: string;
  node: PaperRow;
}

/** What a paper connection resolves to; countKey feeds the batched totalCount. */
export interface PaperConnectionShape {
  edges: PaperEdge[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  countKey: string;
}

/** A whole number PostgreSQL's integer holds: anything else in a cursor would fail in SQL. */
export const isInt32 = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= -2147483648 && (v as number) <= 2147483647;

const isCalendarDate = (v: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(v) &&
  !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) &&
  new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);

/** Cursors are opaque to clients: a JSON array in base64url. */
export function encodeCursorJson(value: unknown[]): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The JSON a cursor holds, or undefined when it is not one of ours. */
export function decodeCursorJson(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

// A cursor is [order field, sort-key value, paper id]: the keyset of its row, so a page
// starts exactly after it even when rows were added or many share the same value.
function encodeCursor(field: PaperOrderField, paper: PaperRow): string {
  return encodeCursorJson([field, sortValue(paper, field), paper.id]);
}

function decodeCursor(cursor: string, field: PaperOrderField, argument: string): Keyset {
  const parsed = decodeCursorJson(cursor);
  const invalid = () =>
    badUserInput(`\`${argument}\` is not a valid cursor: use a cursor this API returned.`, argument);
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid();
  const [cursorField, value, id] = parsed as unknown[];
  if (typeof cursorField !== 'string' || !isInt32(id) || (id as number) < 1) throw invalid();
  if (cursorField !== field) {
    throw badUserInput(
      `\`${argument}\` is a cursor of a list ordered by ${cursorField.toUpperCase()}, but this list is ordered by ${field.toUpperCase()}.`,
      argument,
    );
  }
  const ok =
    field === 'upvotes'
      ? isInt32(value)
      : field === 'trending'
        ? typeof value === 'number' && Number.isFinite(value)
        : field === 'title'
          ? typeof value === 'string'
          : typeof value === 'string' && (value === '-infinity' || isCalendarDate(value));
  if (!ok) throw invalid();
  return { value: value as string | number, id: id as number };
}

export function checkSize(value: number | null | undefined, argument: string): void {
  if (value != null && (value < 1 || value > MAX_PAGE_SIZE)) {
    throw badUserInput(`\`${argument}\` must be between 1 and ${MAX_PAGE_SIZE}, got ${value}.`, argument);
  }
}

interface ParsedListArgs {
  filter: PaperFilter;
  page: PageSpec;
  size: number;
  /** The part of the args that makes counts differ: the filter, in a stable form. */
  filterKey: string;
}

/** Checks the arguments of a paper list; throws BAD_USER_INPUT naming the argument at fault. */
export async function parsePaperListArgs(ctx: Context, args: PaperListArgs): Promise<ParsedListArgs> {
  checkSize(args.first, 'first');
  checkSize(args.last, 'last');
  if (args.first != null && args.last != null) {
    throw badUserInput('Pass `first` (with `after`) or `last` (with `before`), not both.', 'last');
  }
  const order: PaperOrder = args.orderBy
    ? { field: args.orderBy.field, direction: args.orderBy.direction }
    : DEFAULT_ORDER;
  const inverted = args.last != null;
  const size = args.first ?? args.last ?? DEFAULT_PAGE_SIZE;
  const page: PageSpec = {
    order,
    after: args.after != null ? decodeCursor(args.after, order.field, 'after') : undefined,
    before: args.before != null ? decodeCursor(args.before, order.field, 'before') : undefined,
    limit: size + 1,
    inverted,
  };
  const filter = await resolveFilter(ctx, args.filter ?? undefined);
  return { filter, page, size, filterKey: JSON.stringify(filter) };
}

export async function resolveFilter(ctx: Context, input: FilterArg | undefined): Promise<PaperFilter> {
  if (!input) return {};
  const filter: PaperFilter = {
    organizationName: input.organization ?? undefined,
    publishedAfter: input.publishedAfter ?? undefined,
    publishedBefore: input.publishedBefore ?? undefined,
    featuredOn: input.featuredOn ?? undefined,
    featuredWeek: input.featuredWeek ?? undefined,
    featuredMonth: input.featuredMonth ?? undefined,
    minUpvotes: input.minUpvotes ?? undefined,
    authorsCountMin: input.authorsCount?.min ?? undefined,
    authorsCountMax: input.authorsCount?.max ?? undefined,
  };
  if (filter.featuredMonth !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(filter.featuredMonth)) {
    throw badUserInput(
      `\`filter.featuredMonth\` must be a month as YYYY-MM, got "${filter.featuredMonth.slice(0, 20)}".`,
      'filter.featuredMonth',
    );
  }
  if (filter.minUpvotes !== undefined && filter.minUpvotes < 0) {
    throw badUserInput(`\`filter.minUpvotes\` must be 0 or more, got ${filter.minUpvotes}.`, 'filter.minUpvotes');
  }
  const { authorsCountMin: min, authorsCountMax: max } = filter;
  if (min !== undefined && max !== undefined && min > max) {
    throw badUserInput(`\`filter.authorsCount\`: min (${min}) is greater than max (${max}).`, 'filter.authorsCount');
  }
  if (input.topics) {
    const slugs = [...new Set(input.topics)];
    const found = await findTopicsBySlugs(ctx.db, slugs);
    const unknown = slugs.filter((s) => !found.some((t) => t.slug === s));
    if (unknown.length > 0) {
      throw badUserInput(
        `\`filter.topics\`: no topic has the slug ${unknown.map((s) => `"${s}"`).join(', ')}; \`topics\` lists them.`,
        'filter.topics',
      );
    }
    filter.topicIds = found.map((t) => t.id).sort((a, b) => a - b);
  }
  return filter;
}

/** Turns fetched rows (one more than the page) into a connection. */
function toConnection(rows: PaperRow[], parsed: ParsedListArgs, countKey: string): PaperConnectionShape {
  const { page, size } = parsed;
  const more = rows.length > size;
  const nodes = rows.slice(0, size);
  if (page.inverted) nodes.reverse();
  const edges = nodes.map((node) => ({ cursor: encodeCursor(page.order.field, node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.inverted ? page.before !== undefined : more,
      hasPreviousPage: page.inverted ? more : page.after !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    countKey,
  };
}

function countKey(scope: PaperScope, parentId: number | null, filterKey: string): string {
  return JSON.stringify([scope, parentId, filterKey]);
}

/**
 * One connection per parent, from one statement. Callers at the same query path share the
 * arguments (Pothos' byPath loaders), so the pages of all parents are fetched together.
 */
export async function loadPaperConnections(
  ctx: Context,
  scope: PaperScope,
  parentIds: readonly (number | null)[],
  args: PaperListArgs,
): Promise<PaperConnectionShape[]> {
  const parsed = await parsePaperListArgs(ctx, args);
  const pages = await findPaperPages(ctx.db, scope, parentIds, parsed.filter, parsed.page);
  return pages.map((rows, i) => toConnection(rows, parsed, countKey(scope, parentIds[i] ?? null, parsed.filterKey)));
}

/** Counts for many connections: one statement per distinct (scope, filter). */
export async function loadPaperCounts(ctx: Context, keys: readonly string[]): Promise<number[]> {
  const parsed = keys.map((key) => {
    const [scope, parentId, filterKey] = JSON.parse(key) as [PaperScope, number | null, string];
    return { key, scope, parentId, filterKey };
  });
  const counts = new Map<string, number>();
  await Promise.all(
    [...groupBy(parsed, (k) => `${k.scope}|${k.filterKey}`).values()].map(async (group) => {
      const first = group[0] as (typeof group)[number];
      const ids = group.map((k) => k.parentId);
      const values = await countPapers(ctx.db, first.scope, ids, JSON.parse(first.filterKey) as PaperFilter);
      group.forEach((k, i) => {
        counts.set(k.key, values[i] ?? 0);
      });
    }),
  );
  return keys.map((key) => counts.get(key) ?? 0);
}

/** The Relay and list arguments of every field that returns a PaperConnection. */
export const paperListArgs = builder.args((t) => ({
  first: t.int({
    description: `Return the first N papers (1 to ${MAX_PAGE_SIZE}; ${DEFAULT_PAGE_SIZE} if neither first nor last is given).`,
  }),
  after: t.string({ description: 'Return papers after this cursor (an `endCursor` or edge `cursor`).' }),
  last: t.int({ description: `Return the last N papers (1 to ${MAX_PAGE_SIZE}), with \`before\`.` }),
  before: t.string({ description: 'Return papers before this cursor (a `startCursor` or edge `cursor`).' }),
  filter: t.field({ type: PaperFilterInput, description: 'Only papers that meet these conditions.' }),
  orderBy: t.field({
    type: PaperOrderInput,
    description:
      'The order of the list; newest publication first (`{ field: PUBLISHED_AT, direction: DESC }`) unless given.',
  }),
}));
