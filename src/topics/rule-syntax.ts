/**
 * Parses a rule pattern (JavaScript regex syntax without the `u` flag) into a tree, refusing what the rule language
 * leaves out (rule-pattern.ts says what that is, and why).
 */
import { type CharSet, complement, DOT, EMPTY, ESCAPES, fold, single, singleCode, union } from './char-sets.ts';

/** A parsed pattern. Sets hold UTF-16 code units, as written (not yet case-folded). */
export type RuleNode =
  | { kind: 'set'; set: CharSet }
  | { kind: 'seq'; items: RuleNode[] }
  | { kind: 'alt'; options: RuleNode[] }
  | { kind: 'repeat'; node: RuleNode; min: number; max: number; lazy: boolean }
  | { kind: 'assert'; assertion: '^' | '$' | '\\b' | '\\B' };

/** One top-level alternative: what it matches, and the lookahead that must follow it, if any. */
export interface TopAlternative {
  body: RuleNode;
  lookahead: RuleNode | null;
}

/** Highest repeat count RE2 accepts. */
const MAX_COUNT = 1000;

/** The top-level alternatives of a pattern; throws an Error saying what is wrong or not allowed. */
export function parseRulePattern(pattern: string): TopAlternative[] {
  return new RuleParser(pattern).parse();
}

class RuleParser {
  private i = 0;
  private readonly src: string;

  constructor(src: string) {
    this.src = src;
  }

  parse(): TopAlternative[] {
    const alternatives: TopAlternative[] = [];
    for (;;) {
      const items = this.alternative(0);
      let lookahead: RuleNode | null = null;
      if (this.src.startsWith('(?=', this.i)) {
        this.i += 3;
        lookahead = this.disjunction(1);
        this.expect(')');
        if (/^([*+?]|\{\d+(,\d*)?\})/.test(this.src.slice(this.i))) throw new Error('a lookahead cannot be repeated');
        if (this.i < this.src.length && this.src[this.i] !== '|') throw misplacedLookahead();
        if (matchesEmpty(seq(items))) throw new Error('a lookahead must follow something that matches text');
      }
      alternatives.push({ body: seq(items), lookahead });
      if (this.src[this.i] !== '|') break;
      this.i++;
    }
    if (this.i < this.src.length) throw new Error(`unexpected ${JSON.stringify(this.src[this.i])}`);
    return alternatives;
  }

  private expect(c: string): void {
    if (this.src[this.i] !== c) throw new Error(`expected ${JSON.stringify(c)} at offset ${this.i}`);
    this.i++;
  }

  /** Alternatives at nesting depth `depth` (0: the whole pattern) up to the closing `)` or the end. */
  private disjunction(depth: number): RuleNode {
    const options: RuleNode[] = [seq(this.alternative(depth))];
    while (this.src[this.i] === '|') {
      this.i++;
      options.push(seq(this.alternative(depth)));
    }
    return options.length === 1 ? (options[0] as RuleNode) : { kind: 'alt', options };
  }

  /** Items up to `|`, `)`, the end, or (at depth 0) a lookahead, which parse() handles. */
  private alternative(depth: number): RuleNode[] {
    const items: RuleNode[] = [];
    for (;;) {
      const c = this.src[this.i];
      if (c === undefined || c === '|' || c === ')') return items;
      if (this.src.startsWith('(?=', this.i)) {
        if (depth === 0) return items;
        throw misplacedLookahead();
      }
      const start = this.i;
      const atom = this.atom(depth);
      items.push(this.quantified(atom, start));
    }
  }

  private atom(depth: number): RuleNode {
    const c = this.src[this.i++] ?? '';
    switch (c) {
      case '^':
      case '$':
        return { kind: 'assert', assertion: c };
      case '.':
        return { kind: 'set', set: DOT };
      case '[':
        return { kind: 'set', set: this.characterClass() };
      case '(': {
        if (this.src.startsWith('?!', this.i)) throw new Error('negative lookahead (?!...) is not supported');
        if (this.src.startsWith('?<', this.i)) throw new Error('lookbehind and named groups are not supported');
        if (this.src.startsWith('?:', this.i)) this.i += 2;
        else if (this.src[this.i] === '?') throw new Error(`unsupported group (${this.src.slice(this.i, this.i + 2)}`);
        const inner = this.disjunction(depth + 1);
        this.expect(')');
        return inner;
      }
      case '\\':
        return this.atomEscape();
      default:
        // `*`, `+`, `?` cannot start an atom (JavaScript says "nothing to repeat"); `{`, `}` and `]` are literals.
        if (c === '*' || c === '+' || c === '?') throw new Error(`nothing to repeat at offset ${this.i - 1}`);
        return { kind: 'set', set: single(c.charCodeAt(0)) };
    }
  }

  private quantified(atom: RuleNode, start: number): RuleNode {
    let min: number;
    let max: number;
    const c = this.src[this.i];
    if (c === '*' || c === '+' || c === '?') {
      min = c === '+' ? 1 : 0;
      max = c === '?' ? 1 : Number.POSITIVE_INFINITY;
      this.i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return atom; // a literal `{`, parsed as the next atom
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] ? Number(m[3]) : Number.POSITIVE_INFINITY;
      if (min > MAX_COUNT || (Number.isFinite(max) && max > MAX_COUNT)) {
        throw new Error(`repeat counts above ${MAX_COUNT} are not supported (${m[0]})`);
      }
      this.i += m[0].length;
    } else {
      return atom;
    }
    const lazy = this.src[this.i] === '?';
    if (lazy) this.i++;
    if (atom.kind === 'assert') throw new Error(`an assertion cannot be repeated (${this.src.slice(start, this.i)})`);
    if (matchesEmpty(atom)) {
      throw new Error(`a repeated part must not be able to match the empty string: ${this.src.slice(start, this.i)}`);
    }
    return { kind: 'repeat', node: atom, min, max, lazy };
  }

  /** After a backslash, outside a class. */
  private atomEscape(): RuleNode {
    const c = this.src[this.i];
    if (c === 'b' || c === 'B') {
      this.i++;
      return { kind: 'assert', assertion: `\\${c}` };
    }
    return { kind: 'set', set: this.escape(false) };
  }

  /** The set of an escape (after the backslash), outside or inside a class. */
  private escape(inClass: boolean): CharSet {
    const c = this.src[this.i++];
    if (c === undefined) throw new Error('trailing backslash');
    const named = ESCAPES[c];
    if (named) return named;
    switch (c) {
      case 'b':
        return single(8); // only reached in a class, where \b is a backspace
      case '0':
        if (/[0-9]/.test(this.src[this.i] ?? '')) throw new Error('octal escapes are not supported');
        return single(0);
      case 'x':
      case 'u': {
        const digits = c === 'x' ? 2 : 4;
        const hex = this.src.slice(this.i, this.i + digits);
        if (hex.length !== digits || !/^[0-9A-Fa-f]+$/.test(hex)) {
          throw new Error(`\\${c} must be followed by ${digits} hexadecimal digits`);
        }
        this.i += digits;
        return single(Number.parseInt(hex, 16));
      }
      default:
        if (/[1-9]/.test(c)) {
          throw new Error(`backreferences and octal escapes (\\${c}) are not supported`);
        }
        if (/[A-Za-z]/.test(c)) throw new Error(`the escape \\${c} is not supported${inClass ? ' in a class' : ''}`);
        return single(c.charCodeAt(0));
    }
  }

  /** After `[`. */
  private characterClass(): CharSet {
    const negated = this.src[this.i] === '^';
    if (negated) this.i++;
    let set = EMPTY;
    for (;;) {
      const c = this.src[this.i];
      if (c === undefined) throw new Error('unterminated character class');
      if (c === ']') {
        this.i++;
        break;
      }
      const from = this.classAtom();
      if (this.src[this.i] === '-' && this.src[this.i + 1] !== undefined && this.src[this.i + 1] !== ']') {
        this.i++;
        const to = this.classAtom();
        const lo = singleCode(from);
        const hi = singleCode(to);
        // A class escape at either end (`[\w-z]`) makes no range: the escape, '-' and the other end (Annex B).
        if (lo === null || hi === null) set = union(set, union(from, union(to, single(45))));
        else set = union(set, { ranges: [lo, hi], closed: false });
        continue;
      }
      set = union(set, from);
    }
    return negated ? complement(fold(set)) : set;
  }

  private classAtom(): CharSet {
    const c = this.src[this.i++] ?? '';
    if (c !== '\\') return single(c.charCodeAt(0));
    if (this.src[this.i] === 'B') throw new Error('the escape \\B is not supported in a class');
    if (this.src[this.i] === 'c') throw new Error('the escape \\c is not supported');
    return this.escape(true);
  }
}

function misplacedLookahead(): Error {
  return new Error(
    'a lookahead (?=...) must come last in one of the top-level alternatives, as in `efficient(?= training)|speed-?up`',
  );
}

export function seq(items: RuleNode[]): RuleNode {
  return items.length === 1 ? (items[0] as RuleNode) : { kind: 'seq', items };
}

/** Whether the node can match the empty string somewhere (assertions aside). */
export function matchesEmpty(node: RuleNode): boolean {
  switch (node.kind) {
    case 'set':
      return false;
    case 'assert':
      return true;
    case 'seq':
      return node.items.every(matchesEmpty);
    case 'alt':
      return node.options.some(matchesEmpty);
    case 'repeat':
      return node.min === 0 || matchesEmpty(node.node);
  }
}
