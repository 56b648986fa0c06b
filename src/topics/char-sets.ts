/**
 * Sets of UTF-16 code units, as rule patterns use them, and JavaScript's case-insensitive matching without the
 * `u` flag spelled out on them (rule-pattern.ts hands RE2JS folded sets, so that it matches what JavaScript does).
 */

/**
 * Sorted, disjoint, non-adjacent inclusive ranges [lo, hi, lo, hi, ...]. `closed`: known to hold every case
 * variant of its members already (`.`, `\w`, `\W`, ...), so folding can skip it.
 */
export interface CharSet {
  ranges: number[];
  closed: boolean;
}

/** The empty set; JavaScript's `[]`. */
export const EMPTY: CharSet = { ranges: [], closed: true };
/** The highest UTF-16 code unit. */
export const MAX_CODE = 0xffff;

/** The set of one code unit. */
export function single(code: number): CharSet {
  return code < 128 ? (ASCII[code] as CharSet) : { ranges: [code, code], closed: false };
}

// Sets are never changed once made: the ASCII ones are shared, which also lets fold() remember them.
const ASCII: CharSet[] = Array.from({ length: 128 }, (_, code) => ({ ranges: [code, code], closed: false }));

/** The one code unit of a set that has exactly one, else null. */
export function singleCode(set: CharSet): number | null {
  return set.ranges.length === 2 && set.ranges[0] === set.ranges[1] ? (set.ranges[0] ?? null) : null;
}

/** A set from ranges [lo, hi, ...] in any order, overlapping or not. */
export function fromRanges(ranges: number[], closed: boolean): CharSet {
  const pairs: [number, number][] = [];
  for (let k = 0; k < ranges.length; k += 2) pairs.push([ranges[k] ?? 0, ranges[k + 1] ?? 0]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (last > 0 && lo <= (out[last] ?? 0) + 1) out[last] = Math.max(out[last] ?? 0, hi);
    else out.push(lo, hi);
  }
  return { ranges: out, closed };
}

/** The members of either set. */
export function union(a: CharSet, b: CharSet): CharSet {
  if (a.ranges.length === 0 && a.closed) return b;
  if (b.ranges.length === 0 && b.closed) return a;
  return fromRanges([...a.ranges, ...b.ranges], a.closed && b.closed);
}

/** Whether the sets share a member. */
export function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.ranges.length && j < b.ranges.length) {
    const aLo = a.ranges[i] ?? 0;
    const aHi = a.ranges[i + 1] ?? 0;
    const bLo = b.ranges[j] ?? 0;
    const bHi = b.ranges[j + 1] ?? 0;
    if (aHi < bLo) i += 2;
    else if (bHi < aLo) j += 2;
    else return true;
  }
  return false;
}

/** Whether every member of `a` is in `b`. */
export function isWithin(a: CharSet, b: CharSet): boolean {
  return !intersects(a, complement(b));
}

/** Every code unit not in the set. */
export function complement(set: CharSet): CharSet {
  const out: number[] = [];
  let next = 0;
  for (let k = 0; k < set.ranges.length; k += 2) {
    const lo = set.ranges[k] ?? 0;
    if (lo > next) out.push(next, lo - 1);
    next = (set.ranges[k + 1] ?? 0) + 1;
  }
  if (next <= MAX_CODE) out.push(next, MAX_CODE);
  return { ranges: out, closed: set.closed };
}

/** `\d`. */
export const DIGIT = fromRanges([48, 57], true);
/** `\w`, and the characters `\b` tells from the others. */
export const WORD = fromRanges([48, 57, 65, 90, 95, 95, 97, 122], true);
// JavaScript's \s: WhiteSpace and LineTerminator (RE2's \s is ASCII only and leaves out \v).
export const SPACE = fromRanges(
  [9, 13, 32, 32, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f].concat([
    0x3000, 0x3000, 0xfeff, 0xfeff,
  ]),
  true,
);
// `.` without the `s` flag: anything but a line terminator.
export const DOT = complement(fromRanges([10, 10, 13, 13, 0x2028, 0x2029], true));

/** The sets of JavaScript's escapes of one character or class (`\d`, `\t`, ...), by letter. */
export const ESCAPES: Record<string, CharSet> = {
  d: DIGIT,
  D: complement(DIGIT),
  w: WORD,
  W: complement(WORD),
  s: SPACE,
  S: complement(SPACE),
  t: single(9),
  n: single(10),
  v: single(11),
  f: single(12),
  r: single(13),
};

/**
 * Every code unit that matches one of the set's members case-insensitively, the way JavaScript does without the
 * `u` flag: two characters match when their Canonicalize() values are equal (ECMA-262, 22.2.2.7.3).
 */
export function fold(set: CharSet): CharSet {
  if (set.closed) return set;
  let folded = foldedSets.get(set);
  if (folded === undefined) {
    folded = foldOnce(set);
    foldedSets.set(set, folded);
  }
  return folded;
}

const foldedSets = new WeakMap<CharSet, CharSet>();

function foldOnce(set: CharSet): CharSet {
  const { ranges } = set;
  const extra: number[] = [];
  let nonAscii = false;
  for (let k = 0; k < ranges.length; k += 2) {
    const lo = ranges[k] ?? 0;
    const hi = ranges[k + 1] ?? 0;
    if (hi > 127) nonAscii = true;
    // ASCII letters: the other case (no other character folds to an ASCII letter).
    for (const [from, to, shift] of [
      [65, 90, 32],
      [97, 122, -32],
    ] as const) {
      const a = Math.max(lo, from);
      const b = Math.min(hi, to);
      if (a <= b) extra.push(a + shift, b + shift);
    }
  }
  if (!nonAscii) return fromRanges([...ranges, ...extra], true);
  const table = canonicalTable();
  const wanted = new Uint8Array(MAX_CODE + 1);
  for (let k = 0; k < ranges.length; k += 2) {
    for (let c = ranges[k] ?? 0; c <= (ranges[k + 1] ?? -1); c++) wanted[table[c] ?? c] = 1;
  }
  const out: number[] = [];
  for (let c = 0; c <= MAX_CODE; c++) if (wanted[table[c] ?? c] === 1) out.push(c, c);
  return fromRanges(out, true);
}

let canonical: Uint16Array | undefined;

/** Canonicalize() of every code unit without the `u` flag: the simple uppercase, unless it would leave or enter ASCII. */
function canonicalTable(): Uint16Array {
  if (canonical) return canonical;
  canonical = new Uint16Array(MAX_CODE + 1);
  for (let c = 0; c <= MAX_CODE; c++) {
    const upper = String.fromCharCode(c).toUpperCase();
    const u = upper.length === 1 ? upper.charCodeAt(0) : c;
    canonical[c] = c >= 128 && u < 128 ? c : u;
  }
  return canonical;
}
