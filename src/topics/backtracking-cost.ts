/**
 * How much work JavaScript's backtracking engine can do on a rule pattern, worked out from the pattern alone: the
 * tagger runs a rule on that engine only when the bound is small whatever the text (rule-matcher.ts), and on RE2JS
 * otherwise. The bounds are upper bounds, meant to be sound rather than tight.
 */
import { type CharSet, EMPTY, fold, intersects, isWithin, union, WORD } from './char-sets.ts';
import { matchesEmpty, type RuleNode, seq, type TopAlternative } from './rule-syntax.ts';

/**
 * An upper bound on the steps JavaScript's engine takes per character of text, all attempts together, to find
 * the matches of the tagger regex `\b(?:...)\b` of these alternatives: the work of one attempt (the tagger makes
 * at most one per position) plus that of the runs (see runCost). Infinite when an unbounded repetition is not a
 * run that backtracking handles in linear time.
 */
export function backtrackingBound(alternatives: readonly TopAlternative[]): number {
  let work = 1; // the leading \b
  for (const { body, lookahead } of alternatives) {
    // A lookahead commits to its first success: it is tried once per way the body succeeds, and passes one on.
    const costs = [backtrackingCost(body), { work: 1, ways: 1 }];
    if (lookahead) costs.push({ work: backtrackingCost(lookahead).work, ways: 1 });
    work += sequenceCost(costs).work;
    const path: RuleNode[] = [body, { kind: 'assert', assertion: '\\b' }];
    if (lookahead) path.push(lookahead);
    const whole: RuleNode = { kind: 'seq', items: path };
    if (hasUnboundedRepeat(whole)) work += runCost(whole, START, END);
  }
  return work;
}

/** Worst case of a backtracking engine on a node, over all texts (see backtrackingCost). */
interface Cost {
  /** Steps to try every way the node can match at one position. */
  work: number;
  /** How many of those ways can succeed on one text: the rest of the pattern is tried after each. */
  ways: number;
}

/**
 * Bounds what a backtracking engine (JavaScript's) does at one position, a run (see runCost) counting as one step.
 * A sequence tries each part once per way the parts before it succeeded; an alternation tries every option;
 * `X{m,n}` is X m times, then up to n - m more, each optional. An alternation of fixed strings (`introduce|
 * introduces|present`) succeeds in at most as many ways as there are options that can match one text (one is a
 * prefix of the other), not in as many as it has options. Any other unbounded repetition has no bound: with it,
 * the work can grow exponentially with the text (`(a+)+$`).
 */
function backtrackingCost(node: RuleNode, direction: 'forward' | 'backward' = 'forward'): Cost {
  switch (node.kind) {
    case 'set':
    case 'assert':
      return { work: 1, ways: 1 };
    case 'seq':
      return sequenceCost(node.items.map((item) => backtrackingCost(item, direction)));
    case 'alt': {
      const costs = node.options.map((option) => backtrackingCost(option, direction));
      return {
        work: costs.reduce((sum, c) => sum + c.work, 0),
        ways: fixedStringWays(node.options, direction) ?? costs.reduce((sum, c) => sum + c.ways, 0),
      };
    }
    case 'repeat': {
      if (!Number.isFinite(node.max)) {
        if (node.node.kind === 'set') return { work: 1, ways: 1 };
        return { work: Number.POSITIVE_INFINITY, ways: Number.POSITIVE_INFINITY };
      }
      const once = backtrackingCost(node.node, direction);
      let optional: Cost = { work: 0, ways: 1 }; // (X (X (...)?)?)?, from the inside out
      for (let k = node.min; k < node.max; k++) {
        optional = { work: 1 + once.work + once.ways * optional.work, ways: 1 + once.ways * optional.ways };
      }
      return sequenceCost([...Array.from({ length: node.min }, () => once), optional]);
    }
  }
}

function sequenceCost(costs: Cost[]): Cost {
  let work = 0;
  let ways = 1;
  for (const cost of costs) {
    if (cost.work > 0) work += ways * cost.work; // (not Infinity * 0 after an unbounded repetition)
    ways *= cost.ways;
  }
  return { work, ways };
}

/**
 * For an alternation whose options are all fixed strings of characters or classes, the most options that can
 * match one text from a given position (forward; backward: ending at a given position): any that match it are
 * compatible with the shortest of them (each character set meets the other's, aligned at the start or the end).
 */
function fixedStringWays(options: RuleNode[], direction: 'forward' | 'backward'): number | null {
  const strings: CharSet[][] = [];
  for (const option of options) {
    const items = option.kind === 'seq' ? option.items : [option];
    if (!items.every((item) => item.kind === 'set')) return null;
    const sets = items.map((item) => fold((item as { set: CharSet }).set));
    strings.push(direction === 'forward' ? sets : sets.reverse());
  }
  let most = 0;
  for (const a of strings) {
    let compatible = 0;
    for (const b of strings) {
      let ok = true;
      for (let k = 0; k < Math.min(a.length, b.length) && ok; k++) ok = intersects(a[k] as CharSet, b[k] as CharSet);
      if (ok) compatible++;
    }
    most = Math.max(most, compatible);
  }
  return most;
}

/** What can come before a point of a top-level alternative (lookahead included), for runCost. */
interface Before {
  /** Characters the last step before it can consume. */
  last: CharSet;
  /** Whether that can be nothing: the point can be where the match starts. */
  canBeEmpty: boolean;
  /** How many ways of matching what comes before can end at one position of a text (backward ways). */
  endWays: number;
}

/** What can follow a point, to the end of its top-level alternative (lookahead included), for runCost. */
interface After {
  /** Characters the first step after it can consume (none when it can reach the end without consuming). */
  first: CharSet;
  /** backtrackingCost(...).work of what follows. */
  work: number;
  /** The steps to try what follows as far as its first consuming steps (see probeCost). */
  probe: number;
  /** Whether what follows has an unbounded repetition. */
  hasRun: boolean;
}

const START: Before = { last: EMPTY, canBeEmpty: true, endWays: 1 };
const END: After = { first: EMPTY, work: 0, probe: 0, hasRun: false };

/**
 * The work per character of text of the runs in a node: unbounded repetitions of one character set (`[a-z0-9]+`,
 * `[0-9]*`), which backtracking handles in linear time when
 * - it enters them only where a maximal stretch of their characters starts: the character before cannot be one of
 *   theirs, or nothing comes before and their characters are all word characters or all not (a match starts on a
 *   word boundary, and no boundary lies inside such a stretch);
 * - and leaves them without trying much: what follows cannot start with one of their characters (so giving a
 *   character back never lets it go past its first step: a probe), or what follows has no unbounded repetition.
 * Then a run scans a stretch once for every way what comes before can end where the stretch starts, and each
 * character it gives back costs one probe, or one try, of what follows: per character of text, at most
 * endWays * (1 + probe or work of what follows). Infinite when any unbounded repetition is not such a run (`(ab)+`, `[0-9][0-9.]*`: in "1.2.3.4"
 * every digit starts a match that scans to the end, so the work grows with the square of the text).
 */
function runCost(node: RuleNode, before: Before, after: After): number {
  switch (node.kind) {
    case 'set':
    case 'assert':
      return 0;
    case 'alt':
      return node.options.reduce((sum, option) => sum + runCost(option, before, after), 0);
    case 'seq': {
      const { items } = node;
      // afters[k]: what follows items[k] (items k+1.. then `after`), built from the end.
      const afters: After[] = new Array(items.length);
      let next = after;
      for (let k = items.length - 1; k >= 0; k--) {
        afters[k] = next;
        const item = items[k] as RuleNode;
        const cost = backtrackingCost(item);
        const probe = probeCost(item);
        next = {
          first: matchesEmpty(item) ? union(firstChars(item), next.first) : firstChars(item),
          work: sequenceCost([cost, { work: next.work, ways: 1 }]).work,
          probe: probe.work + probe.emptyWays * next.probe,
          hasRun: next.hasRun || hasUnboundedRepeat(item),
        };
      }
      let total = 0;
      let current = before;
      for (let k = 0; k < items.length; k++) {
        const item = items[k] as RuleNode;
        total += runCost(item, current, afters[k] as After);
        current = {
          last: matchesEmpty(item) ? union(lastChars(item), current.last) : lastChars(item),
          canBeEmpty: current.canBeEmpty && matchesEmpty(item),
          endWays: current.endWays * backtrackingCost(item, 'backward').ways,
        };
      }
      return total;
    }
    case 'repeat': {
      if (Number.isFinite(node.max)) {
        if (!hasUnboundedRepeat(node.node)) return 0;
        if (node.max <= 1) return runCost(node.node, before, after);
        // Each repetition is its own stretch of the pattern: spell them out, X X (X (X)?)? for X{2,4}.
        let optional: RuleNode | null = null;
        for (let k = node.min; k < node.max; k++) {
          optional = {
            kind: 'repeat',
            node: optional ? seq([node.node, optional]) : node.node,
            min: 0,
            max: 1,
            lazy: false,
          };
        }
        const copies: RuleNode[] = Array.from({ length: node.min }, () => node.node);
        if (optional) copies.push(optional);
        return runCost(seq(copies), before, after);
      }
      if (node.node.kind !== 'set') return Number.POSITIVE_INFINITY;
      const chars = fold(node.node.set);
      const entersAtStart =
        !intersects(before.last, chars) && (!before.canBeEmpty || isWithin(chars, WORD) || !intersects(chars, WORD));
      const deterministic = !intersects(after.first, chars);
      if (!entersAtStart || (!deterministic && after.hasRun)) return Number.POSITIVE_INFINITY;
      return before.endWays * (1 + (deterministic ? after.probe : after.work));
    }
  }
}

/**
 * What trying a node costs until its first consuming steps (`work`), and in how many ways it can match nothing
 * (`emptyWays`: through which what follows it is tried as well).
 */
function probeCost(node: RuleNode): { work: number; emptyWays: number } {
  switch (node.kind) {
    case 'set':
      return { work: 1, emptyWays: 0 };
    case 'assert':
      return { work: 1, emptyWays: 1 };
    case 'alt': {
      const costs = node.options.map(probeCost);
      return {
        work: costs.reduce((sum, c) => sum + c.work, 0),
        emptyWays: costs.reduce((sum, c) => sum + c.emptyWays, 0),
      };
    }
    case 'seq': {
      let work = 0;
      let emptyWays = 1;
      for (const item of node.items) {
        if (emptyWays === 0) break;
        const cost = probeCost(item);
        work += emptyWays * cost.work;
        emptyWays *= cost.emptyWays;
      }
      return { work, emptyWays };
    }
    case 'repeat': {
      // The repeated part cannot match nothing (rule-syntax.ts refuses that): only skipping it does.
      const once = probeCost(node.node);
      return node.min === 0 ? { work: 1 + once.work, emptyWays: 1 } : { work: once.work, emptyWays: 0 };
    }
  }
}

function hasUnboundedRepeat(node: RuleNode): boolean {
  switch (node.kind) {
    case 'set':
    case 'assert':
      return false;
    case 'seq':
      return node.items.some(hasUnboundedRepeat);
    case 'alt':
      return node.options.some(hasUnboundedRepeat);
    case 'repeat':
      return !Number.isFinite(node.max) || hasUnboundedRepeat(node.node);
  }
}

// runCost asks for the first and last characters of the same nodes again at every level: remember them.
const firsts = new WeakMap<RuleNode, CharSet>();
const lasts = new WeakMap<RuleNode, CharSet>();

/** Characters the node can consume first (case-folded). */
function firstChars(node: RuleNode): CharSet {
  let chars = firsts.get(node);
  if (chars === undefined) {
    chars = firstCharsOnce(node);
    firsts.set(node, chars);
  }
  return chars;
}

function firstCharsOnce(node: RuleNode): CharSet {
  switch (node.kind) {
    case 'set':
      return fold(node.set);
    case 'assert':
      return EMPTY;
    case 'alt':
      return node.options.map(firstChars).reduce(union, EMPTY);
    case 'repeat':
      return node.max === 0 ? EMPTY : firstChars(node.node);
    case 'seq': {
      let chars = EMPTY;
      for (const item of node.items) {
        chars = union(chars, firstChars(item));
        if (!matchesEmpty(item)) break;
      }
      return chars;
    }
  }
}

/** Characters the node can consume last (case-folded). */
function lastChars(node: RuleNode): CharSet {
  let chars = lasts.get(node);
  if (chars === undefined) {
    chars = lastCharsOnce(node);
    lasts.set(node, chars);
  }
  return chars;
}

function lastCharsOnce(node: RuleNode): CharSet {
  if (node.kind !== 'seq') {
    return node.kind === 'alt'
      ? node.options.map(lastChars).reduce(union, EMPTY)
      : node.kind === 'repeat'
        ? node.max === 0
          ? EMPTY
          : lastChars(node.node)
        : firstChars(node);
  }
  let chars = EMPTY;
  for (let k = node.items.length - 1; k >= 0; k--) {
    const item = node.items[k] as RuleNode;
    chars = union(chars, lastChars(item));
    if (!matchesEmpty(item)) break;
  }
  return chars;
}
