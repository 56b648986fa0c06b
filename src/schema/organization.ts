import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { findOrganizationByName, findOrganizationsByIds } from '../db/queries/organizations.ts';
import { countPapers } from '../db/queries/papers.ts';
import type { OrganizationRow } from '../db/types.ts';
import { notFound } from '../errors.ts';
import { PaperConnection } from './paper.ts';
import { loadPaperConnections, type PaperListArgs, paperListArgs } from './paper-connection.ts';

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
