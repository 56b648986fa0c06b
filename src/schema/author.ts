import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { findAuthorByName, findAuthorsByIds } from '../db/queries/authors.ts';
import { countPapers } from '../db/queries/paper-lists.ts';
import { cacheFor } from './cache-hints.ts';
import { notFound } from './graphql-errors.ts';
import { paperConnectionField } from './paper-connection.ts';

export const Author = builder.loadableNodeRef<{ id: number; name: string }, number>('Author', {
  id: { resolve: (author) => author.id, parse: (id) => Number(id) },
  load: (ids: number[], ctx: Context) => findAuthorsByIds(ctx.db, ids),
  sort: (author) => author.id,
});

Author.implement({
  description:
    'A person who wrote papers. papergraph knows authors by name only: the same name is the same author, and two people who share a name share an Author.',
  ...cacheFor(300),
  fields: (t) => ({
    name: t.exposeString('name', { nullable: false, description: 'The name as the papers give it.' }),
    paperCount: t.loadable({
      type: 'Int',
      nullable: false,
      description: 'How many papers list this author.',
      load: (ids: number[], ctx: Context) => countPapers(ctx.db, 'author', ids, {}),
      resolve: (author) => author.id,
    }),
  }),
});

paperConnectionField(Author, 'author', 'The papers that list this author, filtered and sorted, a page at a time.');

builder.queryField('author', (t) =>
  t.field({
    type: Author,
    nullable: true,
    description: 'An author by exact name. An unknown name gives null and a NOT_FOUND error.',
    args: { name: t.arg.string({ required: true, description: 'The author’s name, e.g. `Yann LeCun`.' }) },
    resolve: async (_root, { name }, ctx) => {
      const author = await findAuthorByName(ctx.db, name);
      if (!author) throw notFound(`No author is named "${name.slice(0, 100)}".`);
      return author;
    },
  }),
);
