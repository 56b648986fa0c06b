// Accounting for the clients of the write-contention and adversarial mixes: each is a few loops
// that send one request at a time and wait for its answer (so that every request sent is
// answered or counted as unanswered), classify the answer and time it.

/** A GraphQL response body, as far as the checks read it. */
export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message?: string; extensions?: { code?: string; cost?: { requestedNodes?: number } } }[];
}

export interface Answer {
  status: number;
  body: GraphQLBody | undefined;
  ms: number;
}

/** No answer within this long is a hang; the server's own request timeout is 15 s. */
export const ANSWER_TIMEOUT_MS = 30_000;

/** POSTs a GraphQL request; throws when no answer comes (connection error, or ANSWER_TIMEOUT_MS). */
export async function post(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<Answer> {
  const sentAt = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
  });
  const text = await res.text();
  let body: GraphQLBody | undefined;
  try {
    body = JSON.parse(text) as GraphQLBody;
  } catch {
    body = undefined;
  }
  return { status: res.status, body, ms: performance.now() - sentAt };
}

/**
 * What an answer was, in a word or two: `HTTP 401`, a GraphQL error code, the __typename of a
 * mutation's result (`field`), or `data`.
 */
export function outcome(answer: Answer, field?: string): string {
  const { status, body } = answer;
  const code = body?.errors?.[0]?.extensions?.code;
  if (code) return status === 200 ? code : `HTTP ${status} ${code}`;
  if (status < 200 || status > 299) return `HTTP ${status}`;
  if (!body) return 'not JSON';
  if (body.errors?.length) return 'error without a code';
  if (!body.data) return 'no data';
  if (field) return (body.data[field] as { __typename?: string } | null)?.__typename ?? `${field}: null`;
  return 'data';
}

/** An answer no client should ever get: a server failure (5xx, INTERNAL_SERVER_ERROR) or no answer. */
export function isInternal(answer: Answer | undefined): boolean {
  if (!answer) return true;
  return (
    answer.status >= 500 || answer.body?.errors?.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR') === true
  );
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

type Why = 'internal' | 'unanswered' | 'unexpected';

/** Requests of one mix: latencies by kind, outcomes by kind, and what broke a promise. */
export class Tally {
  readonly latencies = new Map<string, number[]>();
  readonly outcomes = new Map<string, Map<string, number>>();
  /** Answers that break a promise, by what they were, with how often and an example of each. */
  readonly failures = new Map<string, { why: Why; count: number; example: string }>();
  unanswered = 0;
  /** Server failures: 5xx or INTERNAL_SERVER_ERROR. */
  internal = 0;

  /** Counts one answer of `kind`; `expected` are the outcomes that keep the mix's promises. */
  record(kind: string, answer: Answer, result: string, expected: readonly string[]): void {
    const latencies = this.latencies.get(kind) ?? [];
    latencies.push(answer.ms);
    this.latencies.set(kind, latencies);
    this.count(kind, result);
    const example = JSON.stringify(answer.body ?? answer.status).slice(0, 300);
    if (isInternal(answer)) {
      this.internal++;
      this.fail(`${kind}: ${result}`, example, 'internal');
    } else if (!expected.includes(result)) this.fail(`${kind}: ${result}`, example);
  }

  /** A request that got no answer (a hang, or the connection dropped). */
  noAnswer(kind: string, error: unknown): void {
    this.unanswered++;
    this.count(kind, 'no answer');
    const example = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.fail(`${kind}: no answer`, example, 'unanswered');
  }

  count(kind: string, result: string): void {
    const byOutcome = this.outcomes.get(kind) ?? new Map<string, number>();
    byOutcome.set(result, (byOutcome.get(result) ?? 0) + 1);
    this.outcomes.set(kind, byOutcome);
  }

  /** A broken promise seen by a client: an unexpected answer unless said otherwise. */
  fail(what: string, example: string, why: Why = 'unexpected'): void {
    const known = this.failures.get(what);
    if (known) known.count++;
    else this.failures.set(what, { why, count: 1, example });
  }

  /** Answers other than the expected ones (internal errors and missing answers apart). */
  get unexpected(): number {
    let n = 0;
    for (const { why, count } of this.failures.values()) if (why === 'unexpected') n += count;
    return n;
  }

  /** The promises the answers broke, one line each (none: all kept). */
  brokenPromises(): string[] {
    const broken: string[] = [];
    if (this.internal > 0) broken.push(`${this.internal} internal errors (5xx or INTERNAL_SERVER_ERROR)`);
    if (this.unanswered > 0) broken.push(`${this.unanswered} requests without an answer`);
    const unexpected = [...this.failures].filter(([, f]) => f.why === 'unexpected');
    if (unexpected.length > 0) broken.push(`${this.unexpected} unexpected answers, e.g. ${unexpected[0]?.[0]}`);
    return broken;
  }

  /** Each broken promise with how often, and an example answer. */
  failureLines(): string[] {
    return [...this.failures].map(([what, { count, example }]) => `  ${count}× ${what}: ${example}`);
  }

  requests(): number {
    let n = 0;
    for (const byOutcome of this.outcomes.values()) for (const count of byOutcome.values()) n += count;
    return n;
  }

  maxMs(): number {
    let max = 0;
    for (const latencies of this.latencies.values()) for (const ms of latencies) max = Math.max(max, ms);
    return max;
  }

  /** One line per kind: count, p50/p99/max, then the outcomes with their counts. */
  lines(): string[] {
    const lines = ['request               count  p50 ms  p99 ms  max ms  answers'];
    for (const [kind, byOutcome] of [...this.outcomes].sort(([a], [b]) => a.localeCompare(b))) {
      const sorted = [...(this.latencies.get(kind) ?? [])].sort((a, b) => a - b);
      const total = [...byOutcome.values()].reduce((a, b) => a + b, 0);
      const cells = [percentile(sorted, 50), percentile(sorted, 99), sorted.at(-1) ?? Number.NaN].map((ms) =>
        (Number.isNaN(ms) ? '-' : ms.toFixed(0)).padStart(6),
      );
      const answers = [...byOutcome]
        .sort(([, a], [, b]) => b - a)
        .map(([result, n]) => `${result} ${n}`)
        .join(', ');
      lines.push(`${kind.padEnd(20)}  ${String(total).padStart(5)}  ${cells.join('  ')}  ${answers}`);
    }
    return lines;
  }
}

/** Runs `step` over and over until `until` (a performance.now() time) or the signal; the step in flight finishes. */
export async function repeat(until: number, signal: AbortSignal, step: () => Promise<void>): Promise<void> {
  while (performance.now() < until && !signal.aborted) await step();
}

/** Sends one request, records its answer; returns it (undefined when none came). */
export async function send(
  tally: Tally,
  kind: string,
  expected: readonly string[],
  request: () => Promise<Answer>,
  field?: string,
): Promise<Answer | undefined> {
  try {
    const answer = await request();
    tally.record(kind, answer, outcome(answer, field), expected);
    return answer;
  } catch (error) {
    tally.noAnswer(kind, error);
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
