// The benchmark's fixed scenarios: the GraphQL document every server receives, its
// variables, and the one hand-written SQL statement with which the limit server answers it
// (building the whole JSON response inside PostgreSQL). The limit's responses must equal
// papergraph's, which the benchmark checks before it measures anything.

import { parseGlobalId } from '../../src/schema/global-id.ts';

export const SCENARIOS = [
  'feed',
  'nested',
  'search',
  'byId',
  'count',
  'topicPage',
  'paperPage',
  'trending',
  'floor',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Ten leaf topics of the default taxonomy, for the nested scenario. */
const NESTED_SLUGS = [
  'pre-training',
  'fine-tuning',
  'knowledge-distillation',
  'long-context',
  'chain-of-thought',
  'code-generation',
  'llm-agents',
  'image-generation',
  'video',
  'alignment',
];

export const DOCUMENTS: Record<Scenario, string> = {
  feed: `query Feed($first: Int!) {
  papers(first: $first, orderBy: { field: PUBLISHED_AT, direction: DESC }) {
    nodes { id title authorsCount publishedAt upvotes topics { slug name } }
  }
}`,
  nested: `query Nested($slugs: [String!]!, $papers: Int!) {
  topics(slugs: $slugs) {
    slug name
    papers(first: $papers, orderBy: { field: PUBLISHED_AT, direction: DESC }) {
      nodes { id title publishedAt topics { slug name } }
    }
  }
}`,
  search: `query Search($q: String!, $first: Int!) {
  search(query: $q, first: $first) { edges { rank node { id title } } }
}`,
  byId: `query ById($id: ID!) {
  paper(id: $id) {
    id arxivId title abstract authorsCount publishedAt upvotes githubUrl projectUrl
    organization { name }
    topics { slug name }
  }
}`,
  count: `query Count($slug: String!) {
  topic(slug: $slug) { slug paperCount }
}`,
  topicPage: `query TopicPage($slug: String!) {
  topic(slug: $slug) {
    slug name paperCount
    papers(first: 20, orderBy: { field: UPVOTES, direction: DESC }) {
      nodes { id title upvotes }
      facets(limit: 5) { organizations { organization { name } count } years { year count } }
    }
  }
}`,
  trending: `query Trending {
  papers(first: 20, orderBy: { field: TRENDING, direction: DESC }) { nodes { id title upvotes trendingScore } }
}`,
  // No resolver, no SQL: what the HTTP and GraphQL pipeline costs on its own, the ceiling of
  // any request through it.
  floor: 'query Floor { __typename }',
  paperPage: `query PaperPage($id: ID!) {
  paper(id: $id) {
    id title
    authors { name }
    similar(first: 5) { id title }
  }
}`,
};

export const OPERATION: Record<Scenario, string> = {
  feed: 'Feed',
  nested: 'Nested',
  search: 'Search',
  byId: 'ById',
  count: 'Count',
  topicPage: 'TopicPage',
  paperPage: 'PaperPage',
  trending: 'Trending',
  floor: 'Floor',
};

/** Variables per scenario; `paperId` is a paper's global id picked from the loaded data. */
export function variablesFor(scenario: Scenario, paperId: string): Record<string, unknown> {
  switch (scenario) {
    case 'feed':
      return { first: 20 };
    case 'nested':
      return { slugs: NESTED_SLUGS, papers: 10 };
    case 'search':
      return { q: 'knowledge distillation', first: 20 };
    case 'byId':
    case 'paperPage':
      return { id: paperId };
    case 'count':
    case 'topicPage':
      return { slug: 'llm-agents' };
    case 'trending':
    case 'floor':
      return {};
  }
}

export function requestBody(scenario: Scenario, paperId: string): string {
  return JSON.stringify({
    query: DOCUMENTS[scenario],
    variables: variablesFor(scenario, paperId),
    operationName: OPERATION[scenario],
  });
}

// --- The limit's SQL -------------------------------------------------------------------

/** base64url("Paper:<id>") without padding, as papergraph's global ids. */
const GLOBAL_ID = (alias: string) =>
  `rtrim(translate(encode(convert_to('Paper:' || ${alias}.id, 'UTF8'), 'base64'), '+/', '-_'), '=')`;

/** A paper's topics as papergraph lists them: best score first, then taxonomy order. */
const TOPICS_OF = (alias: string) => `(
  select coalesce(json_agg(json_build_object('slug', t.slug, 'name', t.name) order by pt.score desc, t.position), '[]'::json)
  from paper_topics pt join topics t on t.id = pt.topic_id
  where pt.paper_id = ${alias}.id)`;

const int = (x: unknown) => {
  const n = Number(x);
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new Error('bad page size');
  return n;
};

const data = (inner: string) => `select json_build_object('data', ${inner})::text as body`;

export interface LimitStatement {
  text: string;
  values: unknown[];
}

/**
 * The limit's statement for an operation. Page sizes are validated integers inlined as
 * literals: in a prepared statement a LIMIT parameter gets a generic plan that sorts instead
 * of walking the index (the peer benchmark measured 5x on nested).
 */
export function limitStatement(operationName: string, v: Record<string, unknown>): LimitStatement | undefined {
  switch (operationName) {
    case 'Feed':
      return {
        text: data(`json_build_object('papers', json_build_object('nodes', (
          select coalesce(json_agg(json_build_object(
            'id', ${GLOBAL_ID('p')}, 'title', p.title, 'authorsCount', p.authors_count,
            'publishedAt', p.published_at, 'upvotes', p.upvotes, 'topics', ${TOPICS_OF('p')}
          ) order by p.k desc, p.id desc), '[]'::json)
          from (select id, title, authors_count, published_at, upvotes, coalesce(published_at, '-infinity'::date) as k
                from papers order by coalesce(published_at, '-infinity'::date) desc, id desc limit ${int(v.first)}) p)))`),
        values: [],
      };
    case 'Nested':
      return {
        text: data(`json_build_object('topics', (
          select coalesce(json_agg(json_build_object('slug', tp.slug, 'name', tp.name, 'papers', json_build_object('nodes', (
            select coalesce(json_agg(json_build_object(
              'id', ${GLOBAL_ID('p')}, 'title', p.title, 'publishedAt', p.published_at, 'topics', ${TOPICS_OF('p')}
            ) order by top.k desc, top.paper_id desc), '[]'::json)
            from (select pt.paper_id, pt.published_key as k from paper_topics pt where pt.topic_id = tp.id
                  order by pt.published_key desc, pt.paper_id desc limit ${int(v.papers)}) top
            join papers p on p.id = top.paper_id))
          ) order by s.ord), '[]'::json)
          from unnest($1::text[]) with ordinality s(slug, ord) join topics tp on tp.slug = s.slug))`),
        values: [v.slugs],
      };
    case 'Search':
      return {
        text: data(`json_build_object('search', json_build_object('edges', (
          select coalesce(json_agg(json_build_object('rank', h.rank, 'node', json_build_object(
            'id', ${GLOBAL_ID('h')}, 'title', h.title)) order by h.rank desc, h.id desc), '[]'::json)
          from (select p.id, p.title, ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', p.search, q)::float8 as rank
                from papers p, websearch_to_tsquery('english', $1) q
                where p.search @@ q order by 3 desc, p.id desc limit ${int(v.first)}) h)))`),
        values: [v.q],
      };
    case 'ById':
      return {
        text: data(`json_build_object('paper', (
          select json_build_object(
            'id', ${GLOBAL_ID('p')}, 'arxivId', p.arxiv_id, 'title', p.title, 'abstract', p.abstract,
            'authorsCount', p.authors_count, 'publishedAt', p.published_at, 'upvotes', p.upvotes,
            'githubUrl', p.github_url, 'projectUrl', p.project_url,
            'organization', (select json_build_object('name', o.name) from organizations o where o.id = p.organization_id),
            'topics', ${TOPICS_OF('p')})
          from papers p where p.id = $1))`),
        values: [parseGlobalId(String(v.id), 'Paper')],
      };
    case 'Count':
      return {
        text: data(`json_build_object('topic', (
          select json_build_object('slug', t.slug, 'paperCount', t.paper_count) from topics t where t.slug = $1))`),
        values: [v.slug],
      };
    default:
      return undefined;
  }
}
