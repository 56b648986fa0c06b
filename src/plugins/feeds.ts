// RSS 2.0 and Atom feeds of the lists people follow: the newest featured papers, a topic's
// newest papers, and any search. They run the same queries as the GraphQL API.
import { Feed } from 'feed';
import type { Plugin } from 'graphql-yoga';
import type { Db } from '../db/database.ts';
import { isDatabaseUnavailable } from '../db/failures.ts';
import { findPaperPages } from '../db/queries/paper-lists.ts';
import { type ListedPaper, type PaperTexts, withTexts } from '../db/queries/papers.ts';
import { searchPapers } from '../db/queries/search.ts';
import { findTopicsBySlugs } from '../db/queries/topics.ts';
import { textProblem } from '../paper-values.ts';

const FEED_SIZE = 50;

interface FeedSpec {
  title: string;
  description: string;
  papers: ListedPaper[];
}

function arxivLink(paper: ListedPaper, origin: string): string {
  return paper.arxiv_id ? `https://arxiv.org/abs/${paper.arxiv_id}` : `${origin}/graphql`;
}

function render(spec: FeedSpec, papers: (ListedPaper & PaperTexts)[], url: URL, format: 'atom' | 'rss'): string {
  const feed = new Feed({
    id: url.href,
    title: spec.title,
    description: spec.description,
    link: `${url.origin}/graphql`,
    updated: spec.papers[0] ? new Date(spec.papers[0].updated_at) : new Date(0),
    generator: 'papergraph',
    copyright: 'Titles and abstracts belong to the papers’ authors.',
    feedLinks: { atom: url.href },
  });
  for (const paper of papers) {
    const day = paper.featured_on ?? paper.published_at;
    feed.addItem({
      title: paper.title,
      id: paper.arxiv_id ? `arxiv:${paper.arxiv_id}` : `papergraph:paper:${paper.id}`,
      link: arxivLink(paper, url.origin),
      date: day ? new Date(`${day}T00:00:00Z`) : new Date(paper.created_at),
      description: paper.abstract,
    });
  }
  return format === 'rss' ? feed.rss2() : feed.atom1();
}

/** The feed a path asks for, or undefined when it names no feed (or an unknown topic). */
async function feedFor(db: Db, url: URL): Promise<FeedSpec | undefined> {
  const page = { limit: FEED_SIZE, inverted: false } as const;
  if (url.pathname === '/feeds/daily') {
    const [papers = []] = await findPaperPages(
      db,
      'all',
      [null],
      {},
      { ...page, order: { field: 'featured_on', direction: 'desc' } },
    );
    return {
      title: 'papergraph: daily papers',
      description: 'The papers featured most recently on Daily Papers.',
      papers,
    };
  }
  const topic = /^\/feeds\/topics\/([a-z0-9-]+)$/.exec(url.pathname)?.[1];
  if (topic) {
    const [row] = await findTopicsBySlugs(db, [topic]);
    if (!row) return undefined;
    const [papers = []] = await findPaperPages(
      db,
      'topic',
      [row.id],
      {},
      { ...page, order: { field: 'published_at', direction: 'desc' } },
    );
    return { title: `papergraph: ${row.name}`, description: row.description, papers };
  }
  if (url.pathname === '/feeds/search') {
    const q = url.searchParams.get('q')?.trim() ?? '';
    if (q === '') return undefined;
    const problem = textProblem(q, 'searchQuery');
    if (problem) throw new FeedRequestError(`q ${problem}.`);
    let hits = await searchPapers(db, q, {}, { mode: 'fulltext', limit: FEED_SIZE });
    if (hits.length === 0) hits = await searchPapers(db, q, {}, { mode: 'similarity', limit: FEED_SIZE });
    return {
      title: `papergraph: search for “${q}”`,
      description: `Papers matching ${q}, best first.`,
      papers: hits.map((h) => h.paper),
    };
  }
  return undefined;
}

/** A feed request the client got wrong: a 400 with this message. */
class FeedRequestError extends Error {}

const text = (fetchAPI: { Response: typeof Response }, status: number, body: string, headers = {}) =>
  new fetchAPI.Response(`${body}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } });

/**
 * Serves /feeds/… (Atom, or RSS 2.0 with ?format=rss) before GraphQL sees the request. Its
 * failures are answered here: an error thrown from this hook would reach the client with its
 * stack, past Yoga's masking.
 */
export function useFeeds(db: Db, logger?: { error(details: unknown, message?: string): void }): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith('/feeds/')) return;
      try {
        await serveFeed(db, request, url, endResponse, fetchAPI);
      } catch (error) {
        if (error instanceof FeedRequestError) return endResponse(text(fetchAPI, 400, error.message));
        const unavailable = isDatabaseUnavailable(error);
        if (unavailable) return endResponse(text(fetchAPI, 503, unavailable, { 'retry-after': '1' }));
        logger?.error({ err: error }, 'a feed failed');
        endResponse(text(fetchAPI, 500, 'Unexpected error.'));
      }
    },
  };
}

async function serveFeed(
  db: Db,
  request: Request,
  url: URL,
  endResponse: (response: Response) => void,
  fetchAPI: { Response: typeof Response },
): Promise<void> {
  if (request.method !== 'GET') {
    endResponse(text(fetchAPI, 405, 'Feeds answer GET only.', { allow: 'GET' }));
    return;
  }
  const format = url.searchParams.get('format') === 'rss' ? 'rss' : 'atom';
  const spec = await feedFor(db, url);
  if (!spec) {
    endResponse(text(fetchAPI, 404, 'No such feed: /feeds/daily, /feeds/topics/<slug> or /feeds/search?q=<query>.'));
    return;
  }
  const type = format === 'rss' ? 'application/rss+xml' : 'application/atom+xml';
  endResponse(
    new fetchAPI.Response(render(spec, await withTexts(db, spec.papers), url, format), {
      headers: { 'content-type': `${type}; charset=utf-8` },
    }),
  );
}
