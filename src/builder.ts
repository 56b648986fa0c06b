import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import RelayPlugin from '@pothos/plugin-relay';
import type { Context } from './context.ts';
import { decodeGlobalId, encodeGlobalId } from './schema/global-id.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: {
    Date: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date | string };
  };
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  plugins: [RelayPlugin, DataloaderPlugin],
  relay: {
    encodeGlobalID: encodeGlobalId,
    decodeGlobalID: decodeGlobalId,
    nodesOnConnection: true,
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    cursorType: 'String',
    nodeQueryOptions: {
      description: 'Any object by its global ID (Paper, Topic or Organization); null when none has that ID.',
    },
    nodesQueryOptions: {
      description: 'Objects by their global IDs, in the same order; null for each ID that matches nothing.',
    },
    nodeTypeOptions: { description: 'An object with a globally unique, opaque ID, fetchable with `node(id:)`.' },
    pageInfoTypeOptions: { description: 'Where a page sits in its list, for cursor pagination.' },
  },
});
