// Cursor pagination rules shared by every list of the API. Registers no types: the query-cost
// plugin reads the page sizes from here too.
import { badUserInput } from './graphql-errors.ts';

/** Page sizes: `first`/`last` and other `first` arguments are 1 to max; default when absent. */
export const PAGE_SIZE = { default: 20, max: 100 } as const;

/** Refuses a page size outside 1 to PAGE_SIZE.max, naming the argument. */
export function assertPageSize(value: number | null | undefined, argument: string): void {
  if (value != null && (value < 1 || value > PAGE_SIZE.max)) {
    throw badUserInput(`\`${argument}\` must be between 1 and ${PAGE_SIZE.max}, got ${value}.`, argument);
  }
}

/** The Relay rule: a page goes forward (`first`, `after`) or backward (`last`, `before`), not both. */
export function assertOneDirection(args: { first?: number | null; last?: number | null }): void {
  assertPageSize(args.first, 'first');
  assertPageSize(args.last, 'last');
  if (args.first != null && args.last != null) {
    throw badUserInput('Pass `first` (with `after`) or `last` (with `before`), not both.', 'last');
  }
}

/** Cursors are opaque to clients: a JSON array in base64url. */
export function encodeCursor(values: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * The values a cursor holds, when it is one of ours and `isValid` accepts them; otherwise a
 * BAD_USER_INPUT error naming the argument. A cursor that fails `isValid` with a message gets
 * that message (a cursor of another order, say).
 */
export function decodeCursor<T extends unknown[]>(
  cursor: string,
  argument: string,
  isValid: (values: unknown[]) => values is T,
): T {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  if (Array.isArray(values) && isValid(values)) return values;
  throw badUserInput(`\`${argument}\` is not a valid cursor: use a cursor this API returned.`, argument);
}

/** A whole number PostgreSQL's integer holds: anything else in a cursor would fail in SQL. */
export const isInt32 = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;

/** A finite float8 of sane size (ranks and scores): a forged 1e308 must not reach SQL casts. */
export const isScore = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < 1e30;
