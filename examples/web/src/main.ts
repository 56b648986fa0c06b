// The Daily Papers page: today's papers (the latest featured day, or the newest papers when none
// was featured) with their topics, a topic filter, search, "load more" by cursor, and upvote
// counts that change live. Every request is a persisted document (sent by its id) through the
// typed client, so the page needs no GraphQL library and its reads are cacheable GETs.

import { graphql } from '../../client/dist/gql/gql.ts';
import type { DailyPapersQuery, PaperFilter } from '../../client/dist/gql/graphql.ts';
import { createClient, documentId } from '../../client/src/client.ts';

const LatestDay = graphql(`
  query LatestDay {
    papers(first: 1, orderBy: { field: FEATURED_ON, direction: DESC }) { nodes { featuredOn } }
  }
`);

const DailyPapers = graphql(`
  query DailyPapers($filter: PaperFilter, $after: String) {
    papers(first: 10, after: $after, filter: $filter, orderBy: { field: UPVOTES, direction: DESC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id title upvotes publishedAt organization { name } topics { slug name } }
      facets(limit: 12) { topics { count topic { slug name } } }
    }
  }
`);

const SearchPapers = graphql(`
  query SearchPapers($query: String!, $filter: PaperFilter, $after: String) {
    search(query: $query, first: 10, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id title upvotes publishedAt organization { name } topics { slug name } }
    }
  }
`);

const LiveUpvotes = graphql(`
  subscription LiveUpvotes($id: ID!) {
    paperUpvoted(id: $id) { id upvotes }
  }
`);

type Paper = DailyPapersQuery['papers']['nodes'][number];

/**
 * Papers followed live at once. Each subscription is one Server-Sent Events stream, and a browser
 * opens at most 6 connections to a host over HTTP/1.1: the rest must stay free for requests.
 */
const MAX_LIVE = 4;

const execute = createClient({ url: '/graphql' });

const state = {
  day: null as string | null,
  topic: null as string | null,
  search: '',
  after: null as string | null,
  papers: [] as Paper[],
};
const live = new Map<string, EventSource>();

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;
const list = $<HTMLOListElement>('#papers');
const status = $<HTMLOutputElement>('#status');
const more = $<HTMLButtonElement>('#more');
const topics = $<HTMLDivElement>('#topics');

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function renderPaper(paper: Paper): HTMLLIElement {
  const votes = element('span', { className: 'votes', title: 'upvotes' }, String(paper.upvotes));
  votes.dataset.paper = paper.id;
  const chips = paper.topics.map((t) => {
    const chip = element('button', { className: 'chip', type: 'button', textContent: t.name });
    chip.addEventListener('click', () => void choose(t.slug));
    return chip;
  });
  const meta = [paper.publishedAt, paper.organization?.name].filter(Boolean).join(' · ');
  const item = element(
    'li',
    { className: 'paper' },
    votes,
    element(
      'div',
      {},
      element('h2', { textContent: paper.title }),
      element('p', { className: 'meta', textContent: meta }),
      element('div', { className: 'chips' }, ...chips),
    ),
  );
  item.dataset.id = paper.id;
  return item;
}

/** Follows the first papers' upvotes through subscriptions (GET, text/event-stream, by document id). */
function follow(papers: Paper[]) {
  const wanted = new Set(papers.slice(0, MAX_LIVE).map((p) => p.id));
  for (const [id, source] of live) {
    if (!wanted.has(id)) {
      source.close();
      live.delete(id);
    }
  }
  for (const id of wanted) {
    if (live.has(id)) continue;
    const url = new URL('/graphql', location.href);
    url.searchParams.set('documentId', documentId(LiveUpvotes) ?? '');
    url.searchParams.set('variables', JSON.stringify({ id }));
    const source = new EventSource(url);
    source.addEventListener('next', (event) => {
      const { data } = JSON.parse((event as MessageEvent<string>).data) as {
        data?: { paperUpvoted: { id: string; upvotes: number } };
      };
      if (!data) return;
      for (const node of document.querySelectorAll<HTMLElement>(`.votes[data-paper="${data.paperUpvoted.id}"]`)) {
        node.textContent = String(data.paperUpvoted.upvotes);
        node.classList.add('bumped');
      }
    });
    // The server ends streams when it shuts down: do not reconnect to a stopped server.
    source.addEventListener('complete', () => source.close());
    live.set(id, source);
  }
  document.body.dataset.live = String(live.size);
}

function renderTopics(facets: DailyPapersQuery['papers']['facets']['topics']) {
  const all = element('button', {
    className: state.topic ? 'chip' : 'chip active',
    type: 'button',
    textContent: 'All',
  });
  all.addEventListener('click', () => void choose(null));
  const chips = facets.map(({ topic, count }) => {
    const chip = element('button', {
      className: state.topic === topic.slug ? 'chip active' : 'chip',
      type: 'button',
      textContent: `${topic.name} ${count}`,
    });
    chip.dataset.slug = topic.slug;
    chip.addEventListener('click', () => void choose(topic.slug));
    return chip;
  });
  topics.replaceChildren(all, ...chips);
}

async function load(append: boolean) {
  status.textContent = 'Loading…';
  const filter: PaperFilter = {};
  if (state.day) filter.featuredOn = state.day;
  if (state.topic) filter.topics = [state.topic];
  const after = append ? state.after : null;
  try {
    let page: Pick<DailyPapersQuery['papers'], 'totalCount' | 'pageInfo' | 'nodes'>;
    if (state.search) {
      page = (await execute(SearchPapers, { query: state.search, filter, after })).search;
    } else {
      const daily = (await execute(DailyPapers, { filter, after })).papers;
      if (!append) renderTopics(daily.facets.topics);
      page = daily;
    }
    state.papers = append ? [...state.papers, ...page.nodes] : page.nodes;
    state.after = page.pageInfo.endCursor ?? null;
    if (append) list.append(...page.nodes.map(renderPaper));
    else list.replaceChildren(...page.nodes.map(renderPaper));
    more.hidden = !page.pageInfo.hasNextPage;
    const what = state.search ? `matching “${state.search}”` : state.day ? `featured on ${state.day}` : 'newest';
    status.textContent = `${page.totalCount} papers ${what}${state.topic ? ` in ${state.topic}` : ''}`;
    follow(state.papers);
  } catch (error) {
    status.textContent = `Could not load the papers: ${(error as Error).message}`;
  }
}

async function choose(topic: string | null) {
  state.topic = topic;
  for (const chip of topics.querySelectorAll<HTMLElement>('.chip')) {
    chip.classList.toggle('active', (chip.dataset.slug ?? null) === topic);
  }
  await load(false);
}

$<HTMLFormElement>('#search').addEventListener('submit', (event) => {
  event.preventDefault();
  state.search = $<HTMLInputElement>('#q').value.trim();
  void load(false);
});
more.addEventListener('click', () => void load(true));

const { papers } = await execute(LatestDay);
state.day = papers.nodes[0]?.featuredOn ?? null;
$<HTMLHeadingElement>('#title').textContent = state.day ? `Daily Papers of ${state.day}` : 'Newest papers';
await load(false);
document.body.dataset.ready = 'true';
