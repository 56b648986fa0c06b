import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/**
 * Whether a field of this name is selected anywhere below the current field (through inline
 * fragments and named fragments too). It may say yes for a field a skipped branch selects:
 * callers use it only to leave out work nobody asked for.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): boolean =>
    set?.selections.some((selection) => {
      if (selection.kind === 'Field') return selection.name.value === name || visit(selection.selectionSet);
      if (selection.kind === 'InlineFragment') return visit(selection.selectionSet);
      if (seen.has(selection.name.value)) return false;
      seen.add(selection.name.value);
      return visit(info.fragments[selection.name.value]?.selectionSet);
    }) ?? false;
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}
