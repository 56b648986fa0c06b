// The arguments of every paper list: first/last/after/before, the filter and the order, checked
// and turned into what the list engine (db/queries/paper-lists.ts) takes. Cursors are the
// keyset of their row.
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import type { Keyset, PageSpec, PaperFilter, PaperOrder, PaperOrderField } from '../db/queries/paper-lists.ts';
import { sortValue } from '../db/queries/paper-lists.ts';
import type { ListedPaper } from '../db/queries/papers.ts';
import { findTopicsBySlugs } from '../db/queries/topics.ts';
import { cleanDate, cleanMonth, isCalendarDate, textProblem, ValueProblem } from '../paper-values.ts';
import { badUserInput } from './graphql-errors.ts';
import { assertOneDirection, decodeCursor, encodeCursor, isInt32, isScore, PAGE_SIZE } from './pagination.ts';

export const OrderDirection = builder.enumType('OrderDirection', {
  description: 'Which way a list is sorted.',
  values: {
    ASC: { value: 'asc', description: 'Smallest, oldest or A first.' },
    DESC: { value: 'desc', description: 'Largest, newest or Z first.' },
  } as const,
});

const PaperOrderFieldEnum = builder.enumType('PaperOrderField', {
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

const PaperOrderInput = builder.inputType('PaperOrder', {
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

const IntRangeInput = builder.inputType('IntRange', {
  description: 'An inclusive range of whole numbers; either end may be left open.',
  fields: (t) => ({
    min: t.int({ description: 'The smallest value allowed (inclusive).' }),
    max: t.int({ description: 'The largest value allowed (inclusive).' }),
  }),
});

/** Topic slugs a filter may name. */
const MAX_FILTER_TOPICS = 100;

export const PaperFilterInput = builder.inputType('PaperFilter', {
  description: 'Conditions on papers. Every condition given must hold (AND); dates and bounds are inclusive.',
  fields: (t) => ({
    topics: t.stringList({
      description: `Topic slugs (at most ${MAX_FILTER_TOPICS}); a paper matches when it has any of them. An area slug (e.g. \`vision\`) matches papers of any of its topics.`,
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

// A cursor is [order field, sort-key value, paper id]: the keyset of its row, so a page starts
// exactly after it even when rows were added or many share the same value.
export function encodePaperCursor(field: PaperOrderField, paper: ListedPaper): string {
  return encodeCursor([field, sortValue(paper, field), paper.id]);
}

const isKeyValue: Record<PaperOrderField, (v: unknown) => boolean> = {
  upvotes: isInt32,
  trending: isScore,
  // A title as stored: what the value rules let into the table.
  title: (v) => typeof v === 'string' && textProblem(v, 'title') === undefined,
  published_at: (v) => typeof v === 'string' && (v === '-infinity' || isCalendarDate(v)),
  featured_on: (v) => typeof v === 'string' && (v === '-infinity' || isCalendarDate(v)),
};

function decodePaperCursor(cursor: string, field: PaperOrderField, argument: string): Keyset {
  const [cursorField, value, id] = decodeCursor(
    cursor,
    argument,
    (v): v is [string, string | number, number] =>
      v.length === 3 && typeof v[0] === 'string' && isInt32(v[2]) && v[2] >= 1,
  );
  if (cursorField !== field) {
    throw badUserInput(
      `\`${argument}\` is a cursor of a list ordered by ${cursorField.slice(0, 20).toUpperCase()}, but this list is ordered by ${field.toUpperCase()}.`,
      argument,
    );
  }
  // Dates out of PostgreSQL's range would fail in SQL, not as the client's error.
  const date = typeof value === 'string' && value !== '-infinity' && field !== 'title';
  if (!isKeyValue[field](value) || (date && !safely(() => cleanDate(value)))) {
    throw badUserInput(`\`${argument}\` is not a valid cursor: use a cursor this API returned.`, argument);
  }
  return { value, id };
}

const safely = (fn: () => unknown) => {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
};

/** A date or month argument checked against the catalogue's rules, as BAD_USER_INPUT naming it. */
function checked(value: string | null | undefined, argument: string, clean: (v: string) => string) {
  if (value == null) return undefined;
  try {
    return clean(value);
  } catch (error) {
    if (error instanceof ValueProblem) throw badUserInput(`\`${argument}\` ${error.message}.`, argument);
    throw error;
  }
}

/** The filter of a list, checked; topic slugs become ids (BAD_USER_INPUT for an unknown one). */
export async function resolveFilter(ctx: Context, input: FilterArg | null | undefined): Promise<PaperFilter> {
  if (!input) return {};
  const filter: PaperFilter = {
    organizationName: input.organization ?? undefined,
    publishedAfter: checked(input.publishedAfter, 'filter.publishedAfter', cleanDate),
    publishedBefore: checked(input.publishedBefore, 'filter.publishedBefore', cleanDate),
    featuredOn: checked(input.featuredOn, 'filter.featuredOn', cleanDate),
    featuredWeek: checked(input.featuredWeek, 'filter.featuredWeek', cleanDate),
    featuredMonth: checked(input.featuredMonth, 'filter.featuredMonth', cleanMonth),
    minUpvotes: input.minUpvotes ?? undefined,
    authorsCountMin: input.authorsCount?.min ?? undefined,
    authorsCountMax: input.authorsCount?.max ?? undefined,
  };
  if (filter.minUpvotes !== undefined && filter.minUpvotes < 0) {
    throw badUserInput(`\`filter.minUpvotes\` must be 0 or more, got ${filter.minUpvotes}.`, 'filter.minUpvotes');
  }
  const { authorsCountMin: min, authorsCountMax: max } = filter;
  if (min !== undefined && max !== undefined && min > max) {
    throw badUserInput(`\`filter.authorsCount\`: min (${min}) is greater than max (${max}).`, 'filter.authorsCount');
  }
  if (input.topics) {
    const slugs = [...new Set(input.topics)];
    if (slugs.length > MAX_FILTER_TOPICS) {
      throw badUserInput(`\`filter.topics\` takes at most ${MAX_FILTER_TOPICS} slugs.`, 'filter.topics');
    }
    const found = await findTopicsBySlugs(ctx.db, slugs);
    const unknown = slugs.filter((s) => !found.some((t) => t.slug === s));
    if (unknown.length > 0) {
      throw badUserInput(
        `\`filter.topics\`: no topic has the slug ${unknown.map((s) => `"${s.slice(0, 100)}"`).join(', ')}; \`topics\` lists them.`,
        'filter.topics',
      );
    }
    filter.topicIds = found.map((t) => t.id).sort((a, b) => a - b);
  }
  return filter;
}

export interface ParsedListArgs {
  filter: PaperFilter;
  page: PageSpec;
  size: number;
}

/** Checks the arguments of a paper list; throws BAD_USER_INPUT naming the argument at fault. */
export async function parseListArgs(ctx: Context, args: PaperListArgs): Promise<ParsedListArgs> {
  assertOneDirection(args);
  const order: PaperOrder = args.orderBy
    ? { field: args.orderBy.field, direction: args.orderBy.direction }
    : DEFAULT_ORDER;
  const size = args.first ?? args.last ?? PAGE_SIZE.default;
  const page: PageSpec = {
    order,
    after: args.after != null ? decodePaperCursor(args.after, order.field, 'after') : undefined,
    before: args.before != null ? decodePaperCursor(args.before, order.field, 'before') : undefined,
    limit: size + 1,
    inverted: args.last != null,
  };
  return { filter: await resolveFilter(ctx, args.filter), page, size };
}

/** The Relay and list arguments of every field that returns a PaperConnection. */
export const paperListArgs = builder.args((t) => ({
  first: t.int({
    description: `Return the first N papers (1 to ${PAGE_SIZE.max}; ${PAGE_SIZE.default} if neither first nor last is given).`,
  }),
  after: t.string({ description: 'Return papers after this cursor (an `endCursor` or edge `cursor`).' }),
  last: t.int({ description: `Return the last N papers (1 to ${PAGE_SIZE.max}), with \`before\`.` }),
  before: t.string({ description: 'Return papers before this cursor (a `startCursor` or edge `cursor`).' }),
  filter: t.field({ type: PaperFilterInput, description: 'Only papers that meet these conditions.' }),
  orderBy: t.field({
    type: PaperOrderInput,
    description:
      'The order of the list; newest publication first (`{ field: PUBLISHED_AT, direction: DESC }`) unless given.',
  }),
}));
