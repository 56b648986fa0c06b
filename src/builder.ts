import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type { Context } from './context.ts';
import { AppError, ForbiddenError } from './errors.ts';
import { oneEach } from './schema/costs.ts';
import { decodeGlobalId, encodeGlobalId } from './schema/global-id.ts';
import { badUserInput } from './schema/graphql-errors.ts';
import { PAGE_SIZE } from './schema/pagination.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: {
    Date: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date | string };
  };
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  AuthScopes: { write: boolean; admin: boolean };
}>({
  // Errors before scope-auth, so that a refusal becomes the ForbiddenError member of a
  // mutation's result union instead of a top-level error.
  plugins: [ErrorsPlugin, ScopeAuthPlugin, RelayPlugin, DataloaderPlugin],
  errors: { defaultTypes: [AppError] },
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      write: ctx.viewer?.scopes.includes('write') === true || ctx.viewer?.scopes.includes('admin') === true,
      admin: ctx.viewer?.scopes.includes('admin') === true,
    }),
    unauthorizedError: (_parent, ctx) =>
      new ForbiddenError(
        ctx.viewer
          ? 'This API key lacks the scope this operation needs (write, or admin for topics and imports).'
          : 'This operation needs an API key: send "Authorization: Bearer <key>".',
      ),
  },
  relay: {
    encodeGlobalID: encodeGlobalId,
    decodeGlobalID: decodeGlobalId,
    nodesOnConnection: { description: 'The objects of this page, in order: a shortcut for `edges { node }`.' },
    edgesFieldOptions: { nullable: false, description: 'The objects of this page with their cursors, in order.' },
    nodeFieldOptions: { nullable: false, description: 'The object at this position.' },
    cursorFieldOptions: { description: 'An opaque cursor for this position: pass it as `after` or `before`.' },
    pageInfoFieldOptions: { description: 'Where this page sits in the whole list.' },
    hasNextPageFieldOptions: { description: 'Whether more objects follow this page.' },
    hasPreviousPageFieldOptions: {
      description: 'Whether objects precede this page (when paging backwards with `last`).',
    },
    startCursorFieldOptions: { description: 'The cursor of the first object of the page; null when it is empty.' },
    endCursorFieldOptions: { description: 'The cursor of the last object of the page; null when it is empty.' },
    idFieldOptions: { description: 'A globally unique, opaque ID: use it with `node(id:)` and never parse it.' },
    cursorType: 'String',
    firstArgOptions: { description: 'Return the first N objects (1 to 100; 20 if neither first nor last is given).' },
    lastArgOptions: { description: 'Return the last N objects (1 to 100), with `before`.' },
    afterArgOptions: { description: 'Return objects after this cursor (an `endCursor` or edge `cursor`).' },
    beforeArgOptions: { description: 'Return objects before this cursor (a `startCursor` or edge `cursor`).' },
    nodeQueryOptions: {
      description: 'Any object by its global ID (Paper, Topic, Author or Organization); null when none has that ID.',
      args: { id: { description: 'A global ID, as returned in an `id` field.' } },
    },
    nodesQueryOptions: {
      description: `Objects by their global IDs (at most ${PAGE_SIZE.max}), in the same order; null for each ID that matches nothing.`,
      args: { ids: { description: 'Global IDs, as returned in `id` fields.' } },
      ...oneEach('ids'),
      resolve: (_root, args, _ctx, _info, resolveNodes) => {
        if (args.ids.length > PAGE_SIZE.max) {
          throw badUserInput(`\`ids\` takes at most ${PAGE_SIZE.max} ids, got ${args.ids.length}.`, 'ids');
        }
        return resolveNodes(args.ids);
      },
    },
    nodeTypeOptions: { description: 'An object with a globally unique, opaque ID, fetchable with `node(id:)`.' },
    pageInfoTypeOptions: { description: 'Where a page sits in its list, for cursor pagination.' },
  },
});
