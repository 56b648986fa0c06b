// The literals a pattern requires: lowercase strings one of which every match contains. The
// tagger checks a text for them before running a rule on it. Both pattern trees (the linear
// engine's, rule-syntax.ts, and the one pattern-prefixes.ts parses for the backtracking engine)
// share their branch nodes; each says what its other nodes are (`leaf`).

/** The nodes both trees have, over their own node type N. */
type Branch<N> = { kind: 'alt'; options: N[] } | { kind: 'seq'; items: N[] } | { kind: 'repeat'; min: number; node: N };

/**
 * What a node that is not a branch is, to the literal finder: one known (lowercase) character;
 * `zero-width`, an assertion, across which a run of characters goes on; or `other`, which names
 * no literal and ends a run.
 */
export type Leaf = { char: string } | 'zero-width' | 'other';

const isBranch = <N extends { kind: string }>(node: N): node is N & Branch<N> =>
  node.kind === 'alt' || node.kind === 'seq' || node.kind === 'repeat';

/**
 * The literals of `node`, each at least `minLength` long, or null when none can be named. An
 * alternation needs literals from every option; a sequence offers the best of its runs of single
 * characters and of its parts (the one whose shortest literal is longest).
 */
export function requiredLiterals<N extends { kind: string }>(
  node: N,
  leaf: (node: N) => Leaf,
  minLength: number,
): string[] | null {
  if (!isBranch(node)) return null; // a single character is too short to be worth checking for
  const branch: Branch<N> = node;
  switch (branch.kind) {
    case 'alt': {
      const all: string[] = [];
      for (const option of branch.options) {
        const literals = requiredLiterals(option, leaf, minLength);
        if (literals === null) return null;
        all.push(...literals);
      }
      return all;
    }
    case 'repeat':
      return branch.min >= 1 ? requiredLiterals(branch.node, leaf, minLength) : null;
    case 'seq': {
      let best: string[] | null = null;
      const shortest = (literals: string[]) => Math.min(...literals.map((literal) => literal.length));
      const consider = (candidate: string[] | null) => {
        if (candidate === null || candidate.length === 0 || shortest(candidate) < minLength) return;
        if (best === null || shortest(candidate) > shortest(best)) best = candidate;
      };
      let run = '';
      for (const item of branch.items) {
        const kind = isBranch(item) ? 'branch' : leaf(item);
        if (typeof kind === 'object') {
          run += kind.char;
          continue;
        }
        if (kind === 'zero-width') continue;
        consider(run === '' ? null : [run]);
        run = '';
        if (kind === 'branch') consider(requiredLiterals(item, leaf, minLength));
      }
      consider(run === '' ? null : [run]);
      return best;
    }
  }
}
