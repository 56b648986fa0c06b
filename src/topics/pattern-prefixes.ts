/**
 * What a rule's pattern tells about where its matches can be, without running it: the few characters every match
 * must start with (matchPrefixes), and literals every match must contain (requiredLiterals). The tagger indexes
 * rules by these prefixes and walks a text's word starts once, running a rule only where one of its prefixes
 * occurs; a rule without usable prefixes is run on a text only when the text contains one of its literals.
 *
 * The analysis is conservative by construction: anything it does not understand ends a prefix early (or yields no
 * literal), which only makes the index less selective, never wrong. Prefixes and literals are ASCII-lowercased,
 * since rules match case-insensitively.
 */
import { type Leaf, requiredLiterals as literalsOf } from './required-literals.ts';

/** Longest prefix matchPrefixes works out, and so the longest the tagger's index holds. */
export const PREFIX_LENGTH = 4;
/** A pattern with more possible one-character prefixes than this is too unselective to index: the tagger scans for it. */
export const MAX_SHORT_PREFIXES = 12;
/** Give up on a shorter prefix when a pattern has more possible prefixes than this. */
const MAX_PREFIXES = 256;
/** Character classes larger than this are treated as "any character". */
const MAX_CLASS = 40;

/** Whether a character code is a word character as `\b` sees it: [0-9A-Za-z_]. */
export const isWordCode = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** ASCII-lowercases one character code (case-insensitive matching without `u` never maps non-ASCII to ASCII). */
export function lowerCode(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

/** A number for a prefix of ASCII characters, 7 bits per character (unique among prefixes of the same length). */
export function prefixKey(prefix: string): number {
  let key = 0;
  for (let i = 0; i < prefix.length; i++) key = key * 128 + lowerCode(prefix.charCodeAt(i));
  return key;
}

type Node =
  | { kind: 'chars'; chars: Set<string> | null } // null: any character, or one the analysis does not follow
  | { kind: 'seq'; items: Node[] }
  | { kind: 'alt'; options: Node[] }
  | { kind: 'repeat'; node: Node; min: number; max: number }
  | { kind: 'empty' }; // assertions and lookaheads: consume nothing

/**
 * The set of (ASCII-lowercased) strings of at most PREFIX_LENGTH characters such that every match of the
 * case-insensitive pattern starts with one of them; null when that cannot be worked out usefully.
 * Conservative by construction: anything not understood ends a prefix early, which only makes it less selective.
 */
export function matchPrefixes(pattern: string): Set<string> | null {
  let tree: Node;
  try {
    tree = new PatternParser(pattern).parse();
  } catch {
    return null;
  }
  for (let k = PREFIX_LENGTH; k >= 1; k--) {
    const closed = new Set<string>();
    const open = walk(tree, new Set(['']), closed, k);
    if (open === null) continue;
    for (const s of open) closed.add(s);
    if (closed.size > MAX_PREFIXES) continue;
    if (closed.has('')) return null;
    return closed;
  }
  return null;
}

/**
 * Lowercase strings one of which every match of the pattern contains (at least 3 characters each), or null.
 * Used to skip scanning a text for a pattern that cannot be indexed by its prefixes.
 */
export function requiredLiterals(pattern: string): string[] | null {
  try {
    return literalsOf(new PatternParser(pattern).parse(), leafOf, MIN_LITERAL);
  } catch {
    return null;
  }
}

const MIN_LITERAL = 3;

/** A one-character set is a literal character; anything else (assertions too) ends a run. */
function leafOf(node: Node): Leaf {
  const only = node.kind === 'chars' && node.chars?.size === 1 ? [...node.chars][0] : undefined;
  return only === undefined ? 'other' : { char: only };
}

/** Extends the `open` prefixes through `node`; prefixes that are complete or cannot be extended go to `closed`. */
function walk(node: Node, open: Set<string>, closed: Set<string>, k: number): Set<string> | null {
  if (open.size === 0) return open;
  switch (node.kind) {
    case 'empty':
      return open;
    case 'chars': {
      if (node.chars === null || node.chars.size > MAX_CLASS) {
        for (const s of open) closed.add(s);
        return new Set();
      }
      const next = new Set<string>();
      for (const s of open) {
        for (const c of node.chars) {
          const t = s + c;
          if (t.length >= k) closed.add(t);
          else next.add(t);
        }
      }
      return next.size + closed.size > MAX_PREFIXES ? null : next;
    }
    case 'seq': {
      let current: Set<string> | null = open;
      for (const item of node.items) {
        current = walk(item, current, closed, k);
        if (current === null) return null;
      }
      return current;
    }
    case 'alt': {
      const next = new Set<string>();
      for (const option of node.options) {
        const out = walk(option, new Set(open), closed, k);
        if (out === null) return null;
        for (const s of out) next.add(s);
      }
      return next;
    }
    case 'repeat': {
      if (node.max === 0) return open;
      const once = walk(node.node, new Set(open), closed, k);
      if (once === null) return null;
      if (node.max === 1) {
        if (node.min === 0) for (const s of open) once.add(s);
        return once;
      }
      // More repetitions may follow: stop the prefixes after the first one.
      for (const s of once) closed.add(s);
      return node.min === 0 ? open : new Set();
    }
  }
}

const DIGITS = '0123456789';

/** A parser for JavaScript regex syntax (non-Unicode mode, as compiled by the tagger), enough for prefix analysis. */
class PatternParser {
  private i = 0;
  private readonly src: string;

  constructor(src: string) {
    this.src = src;
  }

  parse(): Node {
    const node = this.disjunction();
    if (this.i < this.src.length) throw new Error('unbalanced )');
    return node;
  }

  private peek(): string | undefined {
    return this.src[this.i];
  }

  private disjunction(): Node {
    const options: Node[] = [this.alternative()];
    while (this.peek() === '|') {
      this.i++;
      options.push(this.alternative());
    }
    return options.length === 1 ? (options[0] as Node) : { kind: 'alt', options };
  }

  private alternative(): Node {
    const items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      const atom = this.term();
      items.push(this.quantified(atom));
    }
    return { kind: 'seq', items };
  }

  private term(): Node {
    const c = this.src[this.i++] ?? '';
    switch (c) {
      case '^':
      case '$':
        return { kind: 'empty' };
      case '.':
        return { kind: 'chars', chars: null };
      case '[':
        return this.characterClass();
      case '(': {
        let lookahead = false;
        if (this.src.startsWith('?:', this.i)) this.i += 2;
        else if (this.src.startsWith('?=', this.i) || this.src.startsWith('?!', this.i)) {
          this.i += 2;
          lookahead = true;
        } else if (this.peek() === '?') throw new Error('unsupported group');
        const inner = this.disjunction();
        if (this.src[this.i++] !== ')') throw new Error('unclosed group');
        return lookahead ? { kind: 'empty' } : inner;
      }
      case '\\':
        return this.escape();
      default:
        return literal(c);
    }
  }

  private escape(): Node {
    const c = this.src[this.i++];
    if (c === undefined) throw new Error('trailing backslash');
    if (c === 'b' || c === 'B') return { kind: 'empty' };
    if (c === 'd') return { kind: 'chars', chars: new Set(DIGITS) };
    if (/[A-Za-z0-9]/.test(c)) return { kind: 'chars', chars: null }; // \w \s \n \x.. \u.. \1 ...: not followed
    return literal(c);
  }

  private characterClass(): Node {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.i++;
    }
    const chars = new Set<string>();
    let any = false;
    for (;;) {
      let c = this.src[this.i++];
      if (c === undefined) throw new Error('unclosed class');
      if (c === ']') break; // in JavaScript `[]` matches nothing and `[^]` anything: both come out right below
      if (c === '\\') {
        const e = this.src[this.i++];
        if (e === undefined) throw new Error('trailing backslash');
        if (e === 'd') {
          for (const d of DIGITS) chars.add(d);
          continue;
        }
        if (/[A-Za-z0-9]/.test(e)) {
          any = true;
          continue;
        }
        c = e;
      }
      const code = c.charCodeAt(0);
      if (this.peek() === '-' && this.src[this.i + 1] !== undefined && this.src[this.i + 1] !== ']') {
        this.i++;
        let end = this.src[this.i++] ?? '';
        if (end === '\\') {
          end = this.src[this.i++] ?? '';
          if (/[A-Za-z0-9]/.test(end)) {
            any = true;
            continue;
          }
        }
        const endCode = end.charCodeAt(0);
        if (endCode - code > MAX_CLASS || code > 127 || endCode > 127) {
          any = true;
          continue;
        }
        for (let x = code; x <= endCode; x++) addFolded(chars, String.fromCharCode(x));
        continue;
      }
      if (code > 127) any = true;
      else addFolded(chars, c);
    }
    if (negated || any) return { kind: 'chars', chars: null };
    return { kind: 'chars', chars };
  }

  private quantified(atom: Node): Node {
    let min: number;
    let max: number;
    const c = this.peek();
    if (c === '*') {
      min = 0;
      max = Number.POSITIVE_INFINITY;
      this.i++;
    } else if (c === '+') {
      min = 1;
      max = Number.POSITIVE_INFINITY;
      this.i++;
    } else if (c === '?') {
      min = 0;
      max = 1;
      this.i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return atom; // a literal `{` (Annex B); it is parsed as the next atom
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' || m[3] === undefined ? Number.POSITIVE_INFINITY : Number(m[3]);
      this.i += m[0].length;
    } else {
      return atom;
    }
    if (this.peek() === '?') this.i++; // lazy: same set of matches for our purpose
    return { kind: 'repeat', node: atom, min, max };
  }
}

function literal(c: string): Node {
  // Without the `u` flag, case-insensitive matching never maps a non-ASCII character to an ASCII one and the
  // index only lowercases ASCII, so non-ASCII characters are not followed.
  if (c.charCodeAt(0) > 127) return { kind: 'chars', chars: null };
  const chars = new Set<string>();
  addFolded(chars, c);
  return { kind: 'chars', chars };
}

function addFolded(chars: Set<string>, c: string): void {
  chars.add(c >= 'A' && c <= 'Z' ? c.toLowerCase() : c);
}
