import { resolveCursorConnection } from '@pothos/plugin-relay';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import {
  findOrganizationByName,
  findOrganizationsByIds,
  findOrganizationsByPaperCount,
  type OrganizationWithCount,
} from '../db/queries/organizations.ts';
import { countPapers } from '../db/queries/papers.ts';
import type { OrganizationRow } from '../db/types.ts';
import { badUserInput, notFound } from '../errors.ts';
import { PaperConnection } from './paper.ts';
import {
  checkSize,
  DEFAULT_PAGE_SIZE,
  decodeCursorJson,
  encodeCursorJson,
  isInt32,
  loadPaperConnections,
  MAX_PAGE_SIZE,
  type PaperListArgs,
  paperListArgs,
} from './paper-connection.ts';

export const Organization = builder.loadableNodeRef<OrganizationRow, number>('Organization', {
  id: { resolve: (org) => org.id, parse: (id) => Number(id) },
  load: (ids: number[], ctx: Context) => findOrganizationsByIds(ctx.db, ids),
  sort: (org) => org.id,
});

Organization.implement({
  description: 'A lab, company or community that publishes papers on Hugging Face (e.g. `HuggingFaceFW`).',
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
    papers: t.loadable({
      type: PaperConnection,
      nullable: false,
      description: 'The organization’s papers, filtered and sorted, a page at a time.',
      args: paperListArgs,
      byPath: true,
      load: (ids: number[], ctx: Context, args) =>
        loadPaperConnections(ctx, 'organization', ids, args as PaperListArgs),
      resolve: (org) => org.id,
    }),
  }),
});

builder.queryField('organization', (t) =>
  t.field({
    type: Organization,
    nullable: true,
    description: 'An organization by name (case-insensitive). An unknown name gives null and a NOT_FOUND error.',
    args: { name: t.arg.string({ required: true, description: 'The organization’s handle, e.g. `HuggingFaceFW`.' }) },
    resolve: async (_root, { name }, ctx) => {
      const org = await findOrganizationByName(ctx.db, name);
      if (!org) throw notFound(`No organization is named "${name}".`);
      return org;
    },
  }),
);

// Cursor of the organizations list: its keyset [paper count, id].
const toCursor = (org: OrganizationWithCount) => encodeCursorJson([org.paper_count, org.id]);

function fromCursor(cursor: string | undefined, argument: string): [number, number] | undefined {
  if (cursor === undefined) return undefined;
  const value = decodeCursorJson(cursor);
  if (Array.isArray(value) && value.length === 2 && value.every(isInt32)) {
    return value as [number, number];
  }
  throw badUserInput(`\`${argument}\` is not a valid cursor: use a cursor this API returned.`, argument);
}

builder.queryField('organizations', (t) =>
  t.connection(
    {
      type: Organization,
      nullable: false,
      description: 'All organizations, the ones with the most papers first, a page at a time.',
      resolve: async (_root, args, ctx) => {
        checkSize(args.first, 'first');
        checkSize(args.last, 'last');
        if (args.first != null && args.last != null) {
          throw badUserInput('Pass `first` (with `after`) or `last` (with `before`), not both.', 'last');
        }
        const connection = await resolveCursorConnection(
          {
            args,
            toCursor: (org: OrganizationWithCount) => toCursor(org),
            defaultSize: DEFAULT_PAGE_SIZE,
            maxSize: MAX_PAGE_SIZE,
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
    { name: 'OrganizationConnection', description: 'A page of organizations.' },
    { name: 'OrganizationEdge', description: 'An organization in a list, with the cursor of its position.' },
  ),
);
