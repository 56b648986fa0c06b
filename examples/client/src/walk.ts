// The example client: walks the catalogue the way a nested-data app does, topics → their papers
// (a page at a time, by cursor) → those papers' topics → their papers, with every variable and
// result typed from the schema (no hand-written types). Run it against a server:
//   npm run codegen && npx tsx examples/client/src/walk.ts http://localhost:4000/graphql
import { graphql } from '../dist/gql/gql.ts';
import type { WalkTopicPapersQuery } from '../dist/gql/graphql.ts';
import { createClient } from './client.ts';

const Areas = graphql(`
  query WalkAreas {
    topics(rootsOnly: true) {
      slug
      name
      children { slug name paperCount }
    }
  }
`);

const TopicPapers = graphql(`
  query WalkTopicPapers($slug: String!, $first: Int!, $after: String) {
    topic(slug: $slug) {
      name
      paperCount
      papers(first: $first, after: $after, orderBy: { field: PUBLISHED_AT, direction: DESC }) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id
          title
          publishedAt
          upvotes
          topics { slug name }
        }
      }
    }
  }
`);

export interface WalkSummary {
  /** The topics visited, in order. */
  topics: string[];
  /** Pages fetched and papers seen. */
  pages: number;
  papers: number;
}

/** Visits up to `hops` topics, reading up to `maxPages` pages of `pageSize` papers in each. */
export async function walk(url: string, { hops = 3, pageSize = 5, maxPages = 3 } = {}): Promise<WalkSummary> {
  const execute = createClient({ url });
  const { topics: areas } = await execute(Areas);
  const start = areas.flatMap((area) => area.children).find((topic) => topic.paperCount > 0);
  if (!start) throw new Error('no topic has papers');
  const summary: WalkSummary = { topics: [], pages: 0, papers: 0 };
  let next: string | undefined = start.slug;
  while (next && summary.topics.length < hops) {
    const slug: string = next;
    summary.topics.push(slug);
    next = undefined;
    let after: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const { topic }: WalkTopicPapersQuery = await execute(TopicPapers, { slug, first: pageSize, after });
      if (!topic) throw new Error(`no topic ${slug}`);
      summary.pages++;
      summary.papers += topic.papers.nodes.length;
      if (page === 0) console.log(`${topic.name} (${topic.paperCount} papers)`);
      for (const paper of topic.papers.nodes) {
        console.log(`  ${paper.publishedAt ?? '----------'}  ▲${paper.upvotes}  ${paper.title}`);
        // The next topic: one these papers also have, not visited yet.
        next ??= paper.topics.map((t) => t.slug).find((s) => !summary.topics.includes(s));
      }
      if (!topic.papers.pageInfo.hasNextPage) break;
      after = topic.papers.pageInfo.endCursor;
    }
  }
  return summary;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.argv[2] ?? 'http://localhost:4000/graphql';
  const summary = await walk(url);
  console.log(JSON.stringify(summary));
}
