// Upvotes a paper with an API key (scope `write`), through the typed client: a mutation is sent
// by POST, as a persisted document too.
//   npx tsx examples/client/src/upvote.ts http://localhost:4000/graphql <key> <paper id>
import { graphql } from '../dist/gql/gql.ts';
import { createClient } from './client.ts';

const Upvote = graphql(`
  mutation Upvote($id: ID!) {
    upvotePaper(input: { id: $id }) {
      __typename
      ... on UpvotePaperPayload { changed paper { id upvotes } }
      ... on Error { message }
    }
  }
`);

export async function upvote(url: string, key: string, id: string) {
  const { upvotePaper } = await createClient({ url, key })(Upvote, { id });
  if (upvotePaper?.__typename !== 'UpvotePaperPayload') {
    throw new Error(`upvote refused: ${upvotePaper && 'message' in upvotePaper ? upvotePaper.message : 'no payload'}`);
  }
  return upvotePaper.paper;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [url, key, id] = process.argv.slice(2);
  if (!url || !key || !id) throw new Error('usage: upvote.ts <url> <key> <paper id>');
  console.log(JSON.stringify(await upvote(url, key, id)));
}
