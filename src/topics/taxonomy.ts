import { readFileSync } from 'node:fs';
import type { Db } from '../db/database.ts';
import { insertTopicRules, type TopicRuleRow } from '../db/queries/topic-rules.ts';
import { insertMissingTopics, type TaxonomyEntry } from '../db/queries/topics.ts';
import { inTransaction } from '../db/transaction.ts';

const DATA = new URL('../../data/', import.meta.url);

/** The default taxonomy shipped in data/topics.json: areas first-class, each followed by its topics. */
export function readDefaultTaxonomy(): TaxonomyEntry[] {
  const file = JSON.parse(readFileSync(new URL('topics.json', DATA), 'utf8')) as { topics: TaxonomyEntry[] };
  return file.topics;
}

/** The default tagger rules shipped in data/topic-rules.json. */
export function readDefaultRules(): TopicRuleRow[] {
  const file = JSON.parse(readFileSync(new URL('topic-rules.json', DATA), 'utf8')) as { rules: TopicRuleRow[] };
  return file.rules;
}

/**
 * Adds the default topics the database lacks, with their default rules. Topics and rules
 * already there are not touched, so changes made in the database outlive restarts.
 * Returns the slugs added.
 */
export async function seedTaxonomy(db: Db): Promise<string[]> {
  const taxonomy = readDefaultTaxonomy();
  const rules = readDefaultRules();
  return inTransaction(db, async (trx) => {
    const added = new Set(await insertMissingTopics(trx, taxonomy));
    await insertTopicRules(
      trx,
      rules.filter((r) => added.has(r.topic)),
    );
    return [...added];
  });
}
