// The literals a pattern requires: lowercase strings one of which every match contains. The
// tagger checks a text for them before running a rule on it. Both pattern trees (the linear
// engine's, rule-syntax.ts, and the one pattern-prefixes.ts parses for the backtracking engine)
// are read through this one shape.

/** A pattern tree as the literal finder reads it. */
export type LiteralShape =
  | { kind: 'alt'; options: LiteralShape[] }
  | { kind: 'repeat'; min: number; node: LiteralShape }
  | { kind: 'seq'; items: LiteralShape[] }
  /** One known character (lowercase). */
  | { kind: 'char'; char: string }
  /** Consumes nothing (an assertion): a run of characters goes on across it. */
  | { kind: 'zero-width' }
  /** Anything else: no literal, and it ends a run. */
  | { kind: 'other' };

/**
 * The literals of `node`, each at least `minLength` long, or null when none can be named. An
 * alternation needs literals from every option; a sequence offers the best of its runs of single
 * characters and of its parts (the one whose shortest literal is longest).
 */
export function requiredLiterals(node: LiteralShape, minLength: number): string[] | null {
  switch (node.kind) {
    case 'alt': {
      const all: string[] = [];
      for (const option of node.options) {
        const literals = requiredLiterals(option, minLength);
        if (literals === null) return null;
        all.push(...literals);
      }
      return all;
    }
    case 'repeat':
      return node.min >= 1 ? requiredLiterals(node.node, minLength) : null;
    case 'seq': {
      let best: string[] | null = null;
      const shortest = (literals: string[]) => Math.min(...literals.map((literal) => literal.length));
      const consider = (candidate: string[] | null) => {
        if (candidate === null || candidate.length === 0 || shortest(candidate) < minLength) return;
        if (best === null || shortest(candidate) > shortest(best)) best = candidate;
      };
      let run = '';
      for (const item of node.items) {
        if (item.kind === 'char') {
          run += item.char;
          continue;
        }
        if (item.kind === 'zero-width') continue;
        consider(run === '' ? null : [run]);
        run = '';
        consider(requiredLiterals(item, minLength));
      }
      consider(run === '' ? null : [run]);
      return best;
    }
    default:
      return null; // a single character is too short to be worth checking for
  }
}
