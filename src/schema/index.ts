import { builder } from '../builder.ts';
import './scalars.ts';
import './errors.ts';
import './paper.ts';
import './topic.ts';
import './organization.ts';
import './author.ts';
import './paper-mutations.ts';
import './topic-mutations.ts';
import './import.ts';
import './subscriptions.ts';
import './search.ts';
import './sync.ts';

builder.queryType({ description: 'The entry points for reading papers, topics, authors and organizations.' });
builder.mutationType({
  description: 'Writes. Each needs an API key (Authorization: Bearer <key>) with the scope it names.',
});
builder.subscriptionType({ description: 'Live events, over Server-Sent Events or WebSocket (graphql-ws).' });

export const schema = builder.toSchema();
