// The write-contention mix: 16 writers (a write key each) on the same 40 papers and 8 topics,
// and an admin key swapping the tagger rules of two of those topics now and then (which
// re-tags their papers). Writers set a paper's topics by hand (1 to 3 of the 8 leaf topics),
// upvote and take back upvotes, and create papers: new ones, and shared ones that several
// writers create at once (the same title without an arXiv id, the same arXiv id, the same
// title with and without one, the same title spelt differently), of which exactly one may win.
// The promises checked: no internal error and every request answered; after the run, in SQL,
// every topic's kept paper_count equals its paper_topics rows, the papers created are exactly
// the CreatePaperPayload answers (each shared paper once), no two papers without an arXiv id
// share a title_key, no paper has more than 4 topics, each hand-tagged paper has exactly one
// writer's topics, votes and upvote counts moved together, and the two topics' rules are back.
import pg from 'pg';
import { parseGlobalId } from '../../src/schema/global-id.ts';
import type { Mix, MixContext, MixReport } from './mix.ts';
import { pick, post, repeat, send, sleep, Tally } from './tally.ts';

const WRITERS = 16;
const POOL_SIZE = 40;
/** Leaf topics the writers set (the two whose rules are swapped among them). */
const TOPIC_COUNT = 8;
/** Papers several writers try to create; 4 kinds of collision, in turn. */
const SHARED = 24;

const SET_TOPICS = `mutation SetTopics($input: SetPaperTopicsInput!) {
  setPaperTopics(input: $input) { __typename ... on SetPaperTopicsPayload { paper { id } } ... on Error { message } } }`;
const CREATE = `mutation Create($input: CreatePaperInput!) {
  createPaper(input: $input) {
    __typename
    ... on CreatePaperPayload { paper { id } }
    ... on PaperConflictError { field existingPaper { id } }
    ... on Error { message }
  } }`;
const UPVOTE = `mutation Upvote($id: ID!) {
  upvotePaper(input: { id: $id }) { __typename ... on UpvotePaperPayload { changed } ... on Error { message } } }`;
const REMOVE = `mutation Remove($id: ID!) {
  removeUpvote(input: { id: $id }) { __typename ... on RemoveUpvotePayload { changed } ... on Error { message } } }`;
const UPDATE_TOPIC = `mutation UpdateTopic($input: UpdateTopicInput!) {
  updateTopic(input: $input) { __typename ... on UpdateTopicPayload { retaggedPapers } ... on Error { message } } }`;

interface Rule {
  pattern: string;
  weight: number;
}

/** A paper several writers try to create: what each sends. */
function sharedPaper(marker: string, k: number, writer: number, n: number) {
  const title = `Contention check shared paper ${k}: attention sinks in ${marker}`;
  const arxivId = `2911.${String(10_000 + k)}`;
  // The abstract names the shared paper, so that the check can count its copies.
  const base = { abstract: `[${marker}] [shared ${k}] written by writer ${writer}.`, publishedAt: '2026-02-01' };
  switch (k % 4) {
    case 0: // the same title, no arXiv id
      return { ...base, title };
    case 1: // the same arXiv id, each writer's own title
      return { ...base, title: `Contention check ${marker} writer ${writer} paper ${n}`, arxivId };
    case 2: // the same title, with the arXiv id or without
      return Math.random() < 0.5 ? { ...base, title, arxivId } : { ...base, title };
    default: // the same title spelt differently (case, punctuation, spaces): one title_key
      return { ...base, title: pick([title, title.toUpperCase(), `${title.replace(/ /g, '  ')}.`, `"${title}"`]) };
  }
}

export const writesMix: Mix = {
  description: `${WRITERS} writers on ${POOL_SIZE} papers and ${TOPIC_COUNT} topics, an admin swapping two topics' rules`,
  serverEnv: {},
  async prepare(ctx: MixContext) {
    const [keys, [adminKey]] = await Promise.all([ctx.createKeys('write', WRITERS), ctx.createKeys('admin', 1)]);
    const db = new pg.Client({ connectionString: ctx.databaseUrl });
    // Interrupted, the load check drops the database under this connection: not a crash.
    db.on('error', () => {});
    await db.connect();
    const marker = `writes-mix-${process.pid}-${Date.now()}`;
    // Leaf topics with rules, fewest papers first: re-tagging those is quick.
    const { rows: leaves } = await db.query<{ id: number; slug: string; paper_count: number }>(
      `select t.id, t.slug, t.paper_count from topics t
       where not exists (select 1 from topics c where c.parent_id = t.id)
         and exists (select 1 from topic_rules r where r.topic_id = t.id)
       order by t.paper_count, t.id`,
    );
    const swapped = leaves.filter((t) => t.paper_count >= 10).slice(0, 2);
    const [a, b] = swapped;
    if (!a || !b) throw new Error('writes mix: no two leaf topics with rules and papers');
    const slugs = [
      a.slug,
      b.slug,
      ...leaves
        .filter((t) => t !== a && t !== b)
        .slice(-(TOPIC_COUNT - 2))
        .map((t) => t.slug),
    ];
    const rulesOf = async (topicId: number) =>
      (
        await db.query<Rule>('select pattern, weight from topic_rules where topic_id = $1 order by id', [topicId])
      ).rows.map((r) => ({ pattern: r.pattern, weight: Number(r.weight) }));
    const original = { a: await rulesOf(a.id), b: await rulesOf(b.id) };
    const pool = ctx.paperIds.slice(0, POOL_SIZE);
    const poolIds = pool.map((id) => parseGlobalId(id, 'Paper'));
    // Per paper, upvotes less votes: upvotes and votes move together, so this must not change.
    const surplus = async () =>
      new Map(
        (
          await db.query<{ id: number; surplus: number }>(
            `select p.id, p.upvotes - (select count(*) from paper_votes v where v.paper_id = p.id)::int as surplus
             from papers p`,
          )
        ).rows.map((r) => [r.id, r.surplus]),
      );
    const surplusBefore = await surplus();

    const tally = new Tally();
    /** The topic sets sent for each paper, as sorted slugs joined by commas. */
    const sentSets = new Map<string, Set<string>>();
    /** Papers whose topics some writer did set (a SetPaperTopicsPayload answer). */
    const setOk = new Set<string>();
    /** New papers' titles whose createPaper got no definite answer (5xx or none): written or not? */
    const uncertain: string[] = [];
    let created = 0;
    const sharedWins = new Map<number, number>();
    const conflicts = new Map<string, number>();
    let swaps = 0;
    let uniqueArxiv = 0;

    const writer = async (w: number, until: number) => {
      const auth = { authorization: `Bearer ${keys[w]}` };
      const upvoted = new Set<string>();
      const unsure = new Set<string>();
      let n = 0;
      await repeat(until, ctx.signal, async () => {
        const r = Math.random();
        if (r < 0.35) {
          const id = pick(pool);
          const count = 1 + Math.floor(Math.random() * 3);
          const chosen = [...slugs].sort(() => Math.random() - 0.5).slice(0, count);
          const set = sentSets.get(id) ?? new Set<string>();
          set.add([...chosen].sort().join(','));
          sentSets.set(id, set);
          const input = {
            id,
            topics: chosen.map((slug) => ({ slug, score: Math.round(50 + Math.random() * 50) / 100 })),
          };
          const answer = await send(
            tally,
            'setPaperTopics',
            ['SetPaperTopicsPayload'],
            () => post(ctx.server.url, SET_TOPICS, { input }, auth),
            'setPaperTopics',
          );
          const result = answer?.body?.data?.setPaperTopics as { __typename?: string } | undefined;
          if (result?.__typename === 'SetPaperTopicsPayload') setOk.add(id);
        } else if (r < 0.65) {
          n++;
          const shared = Math.random() < 0.5 ? Math.floor(Math.random() * SHARED) : undefined;
          const input =
            shared === undefined
              ? {
                  title: `Contention check ${marker} writer ${w} new paper ${n}: sparse experts at scale`,
                  abstract: `[${marker}] a new paper by writer ${w}.`,
                  ...(Math.random() < 0.5 ? { arxivId: `2912.${String(10_000 + ++uniqueArxiv)}` } : {}),
                }
              : sharedPaper(marker, shared, w, n);
          const kind = shared === undefined ? 'createPaper new' : 'createPaper shared';
          const expected = shared === undefined ? ['CreatePaperPayload'] : ['CreatePaperPayload', 'PaperConflictError'];
          const answer = await send(
            tally,
            kind,
            expected,
            () => post(ctx.server.url, CREATE, { input }, auth),
            'createPaper',
          );
          const result = answer?.body?.data?.createPaper as { __typename?: string; field?: string } | undefined;
          if (result?.__typename === 'CreatePaperPayload') {
            created++;
            if (shared !== undefined) sharedWins.set(shared, (sharedWins.get(shared) ?? 0) + 1);
          } else if (result?.__typename === 'PaperConflictError') {
            conflicts.set(result.field ?? '?', (conflicts.get(result.field ?? '?') ?? 0) + 1);
          } else if (shared === undefined) uncertain.push(input.title);
        } else {
          const id = pick(pool);
          const remove = upvoted.has(id);
          const field = remove ? 'removeUpvote' : 'upvotePaper';
          const answer = await send(
            tally,
            field,
            [remove ? 'RemoveUpvotePayload' : 'UpvotePaperPayload'],
            () => post(ctx.server.url, remove ? REMOVE : UPVOTE, { id }, auth),
            field,
          );
          const changed = (answer?.body?.data?.[field] as { changed?: boolean } | undefined)?.changed;
          // Without a payload, whether the vote was written is unknown until the next answer.
          if (changed === undefined) return void unsure.add(id);
          if (!changed && !unsure.has(id)) tally.fail(`${field}: changed false (this key's vote was lost)`, id);
          unsure.delete(id);
          if (remove) upvoted.delete(id);
          else upvoted.add(id);
        }
      });
    };

    /** The most server connections seen at once, and of them the most waiting for a lock. */
    const locks = { connections: 0, waiting: 0 };
    const watchLocks = (until: number) =>
      repeat(until, ctx.signal, async () => {
        const { rows } = await db.query<{ connections: number; waiting: number }>(
          `select count(*)::int as connections, (count(*) filter (where wait_event_type = 'Lock'))::int as waiting
           from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
        );
        locks.connections = Math.max(locks.connections, rows[0]?.connections ?? 0);
        locks.waiting = Math.max(locks.waiting, rows[0]?.waiting ?? 0);
        await sleep(250);
      });

    const updateRules = (slug: string, rules: Rule[]) =>
      send(
        tally,
        'updateTopic',
        ['UpdateTopicPayload'],
        () => post(ctx.server.url, UPDATE_TOPIC, { input: { slug, rules } }, { authorization: `Bearer ${adminKey}` }),
        'updateTopic',
      );
    /** Both topics at once (two admin requests racing each other and the writers). */
    const swap = async () => {
      const flipped = swaps % 2 === 1;
      await Promise.all([
        updateRules(a.slug, flipped ? original.a : original.b),
        updateRules(b.slug, flipped ? original.b : original.a),
      ]);
      swaps++;
    };
    const admin = async (until: number) => {
      await repeat(until, ctx.signal, async () => {
        await sleep(1500 + Math.random() * 2000);
        if (performance.now() < until) await swap();
      });
      if (swaps % 2 === 1) await swap(); // the rules as they were
    };

    const check = async (): Promise<MixReport> => {
      const failures: string[] = [];
      const checks: string[] = [];
      const verdict = (ok: boolean, text: string) => {
        checks.push(`${ok ? 'ok  ' : 'FAIL'} ${text}`);
        if (!ok) failures.push(text);
      };
      const one = async (text: string, values: unknown[] = []) => Number((await db.query(text, values)).rows[0]?.n);

      const { rows: drift } = await db.query<{ slug: string; kept: number; counted: number }>(
        `select t.slug, t.paper_count as kept, count(pt.paper_id)::int as counted
         from topics t left join paper_topics pt on pt.topic_id = t.id
         group by t.id having t.paper_count <> count(pt.paper_id) order by t.slug`,
      );
      const topics = await one('select count(*)::int as n from topics');
      verdict(
        drift.length === 0,
        `topics.paper_count equals count(paper_topics) for every topic (${topics})${
          drift.length
            ? `: ${drift.length} differ, e.g. ${drift
                .slice(0, 3)
                .map((d) => `${d.slug} kept ${d.kept}, counted ${d.counted}`)
                .join('; ')}`
            : ''
        }`,
      );

      const inDb = await one('select count(*)::int as n from papers where abstract like $1', [`[${marker}]%`]);
      // A create answered 5xx (or not at all) should have written nothing: were some written?
      const writtenAnyway = await one('select count(*)::int as n from papers where title = any($1)', [uncertain]);
      verdict(
        inDb === created,
        `papers created (${inDb}) equal the CreatePaperPayload answers (${created})${
          uncertain.length
            ? `; of ${uncertain.length} new papers whose createPaper was answered 5xx or not at all, ${writtenAnyway} were written nevertheless`
            : ''
        }`,
      );

      const { rows: copies } = await db.query<{ k: number; n: number }>(
        `select substring(abstract from '\\[shared (\\d+)\\]')::int as k, count(*)::int as n
         from papers where abstract like $1 group by 1`,
        [`[${marker}] [shared %`],
      );
      const badShared = copies.filter((c) => c.n !== 1 || sharedWins.get(c.k) !== 1);
      const tried = tally.outcomes.get('createPaper shared');
      verdict(
        badShared.length === 0 && copies.length === sharedWins.size,
        `each shared paper exists once and was created by one writer (${copies.length} shared papers, ${
          (tried?.get('PaperConflictError') ?? 0) + (tried?.get('CreatePaperPayload') ?? 0)
        } attempts)${badShared.length ? `: ${badShared.map((c) => `#${c.k} ${c.n} rows, ${sharedWins.get(c.k) ?? 0} wins`).join('; ')}` : ''}`,
      );

      const sameKey = await one(
        `select count(*)::int as n from (select title_key from papers where arxiv_id is null group by 1 having count(*) > 1) d`,
      );
      verdict(sameKey === 0, `no two papers without an arXiv id share a title_key (${sameKey} shared keys)`);
      const mixed = await one(
        `select count(*)::int as n from papers a join papers b on b.title_key = a.title_key and b.id > a.id
         where (a.arxiv_id is null or b.arxiv_id is null) and (a.abstract like $1 or b.abstract like $1)`,
        [`[${marker}]%`],
      );
      verdict(
        mixed === 0,
        `no created paper shares a title_key with a paper where either has no arXiv id (${mixed} pairs)`,
      );

      const crowded = await one(
        'select count(*)::int as n from (select paper_id from paper_topics group by 1 having count(*) > 4) d',
      );
      verdict(crowded === 0, `every paper has at most 4 topics (${crowded} have more)`);

      const { rows: finals } = await db.query<{ id: number; slugs: string; sources: string }>(
        `select pt.paper_id as id, string_agg(t.slug, ',' order by t.slug) as slugs,
                string_agg(distinct pt.source, ',') as sources
         from paper_topics pt join topics t on t.id = pt.topic_id where pt.paper_id = any($1) group by 1`,
        [poolIds],
      );
      const finalOf = new Map(finals.map((f) => [f.id, f]));
      // Papers that some writer did set end with one writer's set (requests answered 5xx may
      // have been written too, so any set sent counts), all of it manual: swaps do not re-tag them.
      const notOne = [...setOk].flatMap((id) => {
        const final = finalOf.get(parseGlobalId(id, 'Paper'));
        const ok = final?.sources === 'manual' && sentSets.get(id)?.has(final.slugs);
        return ok
          ? []
          : [`paper ${parseGlobalId(id, 'Paper')} has ${final?.slugs ?? 'no topics'} (${final?.sources ?? '-'})`];
      });
      verdict(
        notOne.length === 0,
        `each of the ${setOk.size} hand-tagged papers has exactly one writer's topics${notOne.length ? `: ${notOne.length} do not, e.g. ${notOne[0]}` : ''}`,
      );

      const surplusAfter = await surplus();
      const moved = [...surplusBefore].filter(([id, s]) => surplusAfter.has(id) && surplusAfter.get(id) !== s);
      verdict(moved.length === 0, `upvotes moved with votes on every paper (${moved.length} papers drifted)`);

      const restored =
        JSON.stringify(await rulesOf(a.id)) === JSON.stringify(original.a) &&
        JSON.stringify(await rulesOf(b.id)) === JSON.stringify(original.b);
      verdict(restored, `the rules of ${a.slug} and ${b.slug} are back as they were after ${swaps} swaps`);

      failures.unshift(...tally.brokenPromises());
      const lines = [
        `writers: ${WRITERS} write keys on ${pool.length} papers and the topics ${slugs.join(', ')}; admin: ${swaps} swaps of the rules of ${a.slug} (${a.paper_count} papers) and ${b.slug} (${b.paper_count})`,
        `requests: ${tally.requests()}, internal errors: ${tally.internal}, unanswered: ${tally.unanswered}, longest: ${tally.maxMs().toFixed(0)} ms`,
        `server connections to PostgreSQL (sampled every 250 ms): at most ${locks.connections}, of them at most ${locks.waiting} waiting for a lock at once`,
        ...tally.lines(),
        `conflicts (PaperConflictError): ${[...conflicts].map(([field, n]) => `${field} ${n}`).join(', ') || 'none'}; papers created: ${created}`,
        ...checks,
        ...tally.failureLines(),
      ];
      return { lines, failures };
    };

    return {
      async run(seconds: number) {
        const until = performance.now() + seconds * 1000;
        await Promise.all([...keys.map((_, w) => writer(w, until)), admin(until), watchLocks(until)]);
      },
      async finish(): Promise<MixReport> {
        try {
          return await check();
        } finally {
          await db.end();
        }
      },
    };
  },
};
