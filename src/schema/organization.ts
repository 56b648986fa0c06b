import { resolveCursorConnection } from '@pothos/plugin-relay';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import {
  findOrganizationByName,
  findOrganizationsByIds,
  findOrganizationsByPaperCount,
  type OrganizationWithCount,
} from '../db/queries/organizations.ts';
import { countPapers } from '../db/queries/paper-lists.ts';
import type { OrganizationRow } from '../db/types.ts';
import { cacheFor, cacheWithParent } from './cache-hints.ts';
import { notFound } from './graphql-errors.ts';
import { assertOneDirection, decodeCursor, encodeCursor, isInt32, PAGE_SIZE } from './pagination.ts';
import { paperConnectionField } from './paper-connection.ts';

export const Organization = builder.loadableNodeRef<OrganizationRow, number>('Organization', {
  id: { resolve: (org) => org.id, parse: (id) => Number(id) },
  load: (ids: number[], ctx: Context) => findOrganizationsByIds(ctx.db, ids),
  sort: (org) => org.id,
});

Organization.implement({
  description: 'A lab, company or community that publishes papers on Hugging Face (e.g. `HuggingFaceFW`).',
  ...cacheFor(300),
  fields: (t) => ({
    name: t.exposeString('name', { nullable: false, description: 'The organization’s handle on Hugging Face.' }),
    displayName: t.exposeString('display_name', {
      nullable: true,
      description: 'The organization’s full name, when known (e.g. `FineData`).',
    }),
    paperCount: t.loadable({
      type: 'Int',
      nullable: false,
      description: 'How many papers the organization has.',
      load: (ids: number[], ctx: Context) => countPapers(ctx.db, 'organization', ids, {}),
      resolve: (org) => org.id,
    }),
  }),
});

paperConnectionField(Organization, 'organization', 'The organization’s papers, filtered and sorted, a page at a time.');

builder.queryField('organization', (t) =>
  t.field({
    type: Organization,
    nullable: true,
    description: 'An organization by name (case-insensitive). An unknown name gives null and a NOT_FOUND error.',
    args: { name: t.arg.string({ required: true, description: 'The organization’s handle, e.g. `HuggingFaceFW`.' }) },
    resolve: async (_root, { name }, ctx) => {
      const org = await findOrganizationByName(ctx.db, name);
      if (!org) throw notFound(`No organization is named "${name.slice(0, 100)}".`);
      return org;
    },
  }),
);

// Cursor of the organizations list: its keyset [paper count, id].
const toCursor = (org: OrganizationWithCount) => encodeCursor([org.paper_count, org.id]);

function fromCursor(cursor: string | undefined, argument: string): [number, number] | undefined {
  if (cursor === undefined) return undefined;
  return decodeCursor(cursor, argument, (v): v is [number, number] => v.length === 2 && v.every(isInt32));
}

builder.queryField('organizations', (t) =>
  t.connection(
    {
      type: Organization,
      nullable: false,
      description: 'All organizations, the ones with the most papers first, a page at a time.',
      resolve: async (_root, args, ctx) => {
        assertOneDirection(args);
        const connection = await resolveCursorConnection(
          {
            args,
            toCursor: (org: OrganizationWithCount) => toCursor(org),
            defaultSize: PAGE_SIZE.default,
            maxSize: PAGE_SIZE.max,
          },
          ({ after, before, limit, inverted }: { after?: string; before?: string; limit: number; inverted: boolean }) =>
            findOrganizationsByPaperCount(ctx.db, {
              after: fromCursor(after, 'after'),
              before: fromCursor(before, 'before'),
              limit,
              inverted,
            }),
        );
        // resolveCursorConnection returns null only when the page resolver does; ours never does.
        return connection as NonNullable<typeof connection>;
      },
    },
    { name: 'OrganizationConnection', description: 'A page of organizations.', ...cacheFor(60) },
    {
      name: 'OrganizationEdge',
      description: 'An organization in a list, with the cursor of its position.',
      ...cacheWithParent(),
    },
  ),
);
