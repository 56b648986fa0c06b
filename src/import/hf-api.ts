// Reader for the Hugging Face Daily Papers API format: one JSON entry per paper
// ({ paper: {...}, numComments, ... }), either one per line (JSONL, any size) or as the API's
// own response, a JSON array per day. Both are streamed: a file is never held whole.

import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import { collapse } from './daily-page.ts';
import { ARXIV_ID, normalizeArxivId, type PaperRecord } from './record.ts';

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

function text(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new BadRecord(`${field} must be a string`);
  const collapsed = collapse(value);
  return collapsed === '' ? null : collapsed;
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
  const match = typeof value === 'string' ? ISO_DATE.exec(value.trim()) : null;
  const day = match?.[1];
  if (
    !day ||
    Number.isNaN(Date.parse(`${day}T00:00:00Z`)) ||
    new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day
  ) {
    throw new BadRecord(`${field} is not a date: ${JSON.stringify(value)}`);
  }
  return day;
}

function url(value: unknown, field: string): string | null {
  const raw = text(value, field);
  if (raw === null) return null;
  try {
    const parsed = new URL(raw);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? raw : null;
  } catch {
    return null; // a malformed link is dropped, not a reason to lose the paper
  }
}

function githubRepo(value: unknown): string | null {
  const raw = url(value, 'paper.githubRepo');
  if (raw === null) return null;
  const parsed = new URL(raw);
  if (parsed.hostname !== 'github.com' && parsed.hostname !== 'www.github.com') return null;
  const [owner, repo] = parsed.pathname.split('/').filter(Boolean);
  return owner && repo ? `https://github.com/${owner}/${repo.replace(/\.git$/, '')}` : null;
}

/** Turns one API entry into a record, or throws with the reason it cannot be imported. */
export function toPaperRecord(value: unknown, line: number): PaperRecord {
  if (!isObject(value)) throw new BadRecord('an entry must be a JSON object');
  const paper = isObject(value.paper) ? value.paper : value;
  const id = typeof paper.id === 'string' ? normalizeArxivId(paper.id) : '';
  if (id === '') throw new BadRecord('the record has no paper.id (arXiv id)');
  if (!ARXIV_ID.test(id)) throw new BadRecord(`paper.id ${JSON.stringify(id.slice(0, 40))} is not an arXiv id`);
  const title = text(paper.title ?? value.title, 'paper.title');
  if (title === null) throw new BadRecord(`paper ${id} has no title`);
  if (title.length > 2000) throw new BadRecord(`paper ${id}: title is ${title.length} characters long`);

  let authors: PaperRecord['authors'] = null;
  if (paper.authors !== undefined && paper.authors !== null) {
    if (!Array.isArray(paper.authors)) throw new BadRecord('paper.authors must be an array');
    authors = paper.authors.flatMap((a) => {
      const name = isObject(a) && typeof a.name === 'string' ? collapse(a.name) : '';
      return name === '' ? [] : [{ name, hidden: isObject(a) && a.hidden === true }];
    });
  }
  const keywords = Array.isArray(paper.ai_keywords)
    ? [
        ...new Set(
          paper.ai_keywords
            .filter((k): k is string => typeof k === 'string')
            .map(collapse)
            .filter(Boolean),
        ),
      ]
    : null;
  const org = isObject(paper.organization)
    ? paper.organization
    : isObject(value.organization)
      ? value.organization
      : null;
  const orgName = org ? text(org.name, 'organization.name') : null;

  return {
    line,
    arxivId: id,
    title,
    abstract: text(paper.summary, 'paper.summary') ?? '',
    authorsCount: authors && authors.length > 0 ? authors.length : null,
    publishedAt: date(paper.publishedAt, 'paper.publishedAt'),
    // The day it was featured: the file's day, else when it was submitted to Daily Papers.
    featuredOn:
      date(value._file_date, '_file_date') ??
      date(paper.submittedOnDailyAt, 'paper.submittedOnDailyAt') ??
      date(value.publishedAt, 'publishedAt'),
    upvotes: count(paper.upvotes, 'paper.upvotes'),
    organization: orgName
      ? { name: orgName, displayName: org ? text(org.fullname, 'organization.fullname') : null }
      : null,
    githubUrl: githubRepo(paper.githubRepo),
    projectUrl: url(paper.projectPage, 'paper.projectPage'),
    authors: authors && authors.length > 0 ? authors : null,
    commentsCount: count(value.numComments, 'numComments'),
    githubStars: count(paper.githubStars, 'paper.githubStars'),
    keywords: keywords && keywords.length > 0 ? keywords : null,
    aiSummary: text(paper.ai_summary, 'paper.ai_summary'),
  };
}

export function isBadRecord(error: unknown): error is Error {
  return error instanceof BadRecord;
}
