// Reader for the Hugging Face Daily Papers API format: one JSON entry per paper
// ({ paper: {...}, numComments, ... }), either one per line (JSONL, any size) or as the API's
// own response, a JSON array per day. Both are streamed: a file is never held whole.

import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import {
  cleanArxivId,
  cleanAuthorNames,
  cleanDate,
  cleanGithubRepo,
  cleanKeywords,
  cleanText,
  cleanTitle,
  cleanUrl,
  type TextKind,
  ValueProblem,
} from '../paper-values.ts';
import type { PaperRecord } from './record.ts';

/** One entry of the input: its JSON value, or why it could not be read. */
export interface RawEntry {
  /** Line (JSONL) or 1-based position in the array (JSON). */
  line: number;
  value?: unknown;
  error?: string;
}

/** Entries of a JSONL file, one per non-empty line; a line that is not JSON is reported, not fatal. */
export async function* readJsonLines(input: Readable): AsyncGenerator<RawEntry> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch (error) {
      yield { line, error: `not valid JSON (${(error as Error).message})` };
    }
  }
}

/** Entries of a JSON array file, streamed; a syntax error ends the file with an error entry. */
export async function* readJsonArray(input: Readable): AsyncGenerator<RawEntry> {
  const stream = input.pipe(streamArray.withParserAsStream());
  let index = 0;
  try {
    for await (const item of stream as AsyncIterable<{ key: number; value: unknown }>) {
      index = item.key + 1;
      yield { line: index, value: item.value };
    }
  } catch (error) {
    yield { line: index + 1, error: `not valid JSON after entry ${index} (${(error as Error).message})` };
  }
}

const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class BadRecord extends Error {}

/** The value's rule, with the field named in the problem (`paper.title is 1,200 bytes long…`). */
function checked<T>(field: string, clean: () => T): T {
  try {
    return clean();
  } catch (error) {
    if (error instanceof ValueProblem) throw new BadRecord(`${field} ${error.message}`);
    throw error;
  }
}

function text(value: unknown, field: string, kind: TextKind): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new BadRecord(`${field} must be a string`);
  const cleaned = checked(field, () => cleanText(value, kind));
  return cleaned === '' ? null : cleaned;
}

function count(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 2_147_483_647) {
    throw new BadRecord(`${field} must be a whole number from 0 to 2147483647, got ${JSON.stringify(value)}`);
  }
  return value;
}

function date(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  const day = typeof value === 'string' ? ISO_DATE.exec(value.trim())?.[1] : undefined;
  if (!day) throw new BadRecord(`${field} is not a date: ${JSON.stringify(value).slice(0, 60)}`);
  return checked(field, () => cleanDate(day));
}

/** A link, normalized; a malformed one is dropped, not a reason to lose the paper. */
function link(value: unknown, clean: (url: string) => string): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  try {
    return clean(value);
  } catch (error) {
    if (error instanceof ValueProblem) return null;
    throw error;
  }
}

/** Turns one API entry into a record, or throws with the reason it cannot be imported. */
export function toPaperRecord(value: unknown, line: number): PaperRecord {
  if (!isObject(value)) throw new BadRecord('an entry must be a JSON object');
  const paper = isObject(value.paper) ? value.paper : value;
  if (typeof paper.id !== 'string' || paper.id.trim() === '')
    throw new BadRecord('the record has no paper.id (arXiv id)');
  const id = checked('paper.id', () => cleanArxivId(paper.id as string));
  const rawTitle = paper.title ?? value.title;
  if (rawTitle !== undefined && rawTitle !== null && typeof rawTitle !== 'string') {
    throw new BadRecord('paper.title must be a string');
  }
  if (!rawTitle?.trim()) throw new BadRecord(`paper ${id} has no title`);
  const title = checked('paper.title', () => cleanTitle(rawTitle));

  let authors: PaperRecord['authors'] = null;
  if (paper.authors !== undefined && paper.authors !== null) {
    if (!Array.isArray(paper.authors)) throw new BadRecord('paper.authors must be an array');
    const named = paper.authors.flatMap((a) =>
      isObject(a) && typeof a.name === 'string' && a.name.trim() !== ''
        ? [{ name: a.name, hidden: a.hidden === true }]
        : [],
    );
    const names = checked('paper.authors', () => cleanAuthorNames(named.map((a) => a.name)));
    authors = named.map((a, i) => ({ name: names[i] ?? a.name, hidden: a.hidden }));
  }
  const keywords = Array.isArray(paper.ai_keywords)
    ? checked('paper.ai_keywords', () =>
        cleanKeywords((paper.ai_keywords as unknown[]).filter((k): k is string => typeof k === 'string')),
      )
    : null;
  const org = isObject(paper.organization)
    ? paper.organization
    : isObject(value.organization)
      ? value.organization
      : null;
  const orgName = org ? text(org.name, 'organization.name', 'organizationName') : null;

  return {
    line,
    arxivId: id,
    title,
    abstract: text(paper.summary, 'paper.summary', 'abstract') ?? '',
    authorsCount: authors && authors.length > 0 ? authors.length : null,
    publishedAt: date(paper.publishedAt, 'paper.publishedAt'),
    // The day it was featured: the file's day, else when it was submitted to Daily Papers.
    featuredOn:
      date(value._file_date, '_file_date') ??
      date(paper.submittedOnDailyAt, 'paper.submittedOnDailyAt') ??
      date(value.publishedAt, 'publishedAt'),
    upvotes: count(paper.upvotes, 'paper.upvotes'),
    organization: orgName
      ? {
          name: orgName,
          displayName: org ? text(org.fullname, 'organization.fullname', 'organizationDisplayName') : null,
        }
      : null,
    githubUrl: link(paper.githubRepo, cleanGithubRepo),
    projectUrl: link(paper.projectPage, cleanUrl),
    authors: authors && authors.length > 0 ? authors : null,
    commentsCount: count(value.numComments, 'numComments'),
    githubStars: count(paper.githubStars, 'paper.githubStars'),
    keywords: keywords && keywords.length > 0 ? keywords : null,
    aiSummary: text(paper.ai_summary, 'paper.ai_summary', 'aiSummary'),
  };
}

export function isBadRecord(error: unknown): error is Error {
  return error instanceof BadRecord;
}
