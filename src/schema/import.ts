import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { builder } from '../builder.ts';
import { inWriteTransaction } from '../db/transaction.ts';
import { ForbiddenError, ValidationError } from '../errors.ts';
import { ImportError, type ImportFormat } from '../import/import-error.ts';
import { importEvents } from '../import/import-events.ts';
import { importFile } from '../import/import-file.ts';
import { type ImportProblem, type ImportSummary, MAX_REPORTED_PROBLEMS } from '../import/record.ts';
import { announcePapersAdded, paperAddedEvents } from '../pubsub.ts';
import { atMost } from './costs.ts';
import { mutationErrors } from './errors.ts';

/** The largest `content` importPapers takes; bigger files go through the `papergraph import` command. */
export const MAX_IMPORT_BYTES = 1_000_000;

const ImportFormatEnum = builder.enumType('ImportFormat', {
  description: 'The formats papergraph imports.',
  values: {
    HF_JSONL: { value: 'hf-jsonl', description: 'Daily Papers API records, one JSON object per line.' },
    HF_JSON: { value: 'hf-json', description: 'A Daily Papers API response: a JSON array of records.' },
    DAILY_PAGE: { value: 'daily-page', description: 'The text of a Daily Papers page, as copied from a browser.' },
  } as const satisfies Record<string, { value: ImportFormat; description: string }>,
});

const ImportPapersInput = builder.inputType('ImportPapersInput', {
  description: `Papers to import, at most ${MAX_IMPORT_BYTES} bytes; larger files: the papergraph import command.`,
  fields: (t) => ({
    format: t.field({ type: ImportFormatEnum, required: true, description: 'The format of `content`.' }),
    content: t.string({ required: true, description: 'The file’s content.' }),
    featuredOn: t.field({ type: 'Date', description: 'For page text: the Daily Papers day it lists.' }),
    strict: t.boolean({ defaultValue: false, description: 'Import nothing if any record is bad.' }),
  }),
});

const ImportProblemRef = builder.objectRef<ImportProblem>('ImportProblem').implement({
  description: 'A record that was skipped.',
  fields: (t) => ({
    line: t.exposeInt('line', { nullable: false, description: 'Its line (or position in a JSON array), from 1.' }),
    message: t.exposeString('message', { nullable: false, description: 'Why it was skipped.' }),
  }),
});

const ImportPapersPayload = builder.objectRef<ImportSummary>('ImportPapersPayload').implement({
  description: 'What the import did.',
  fields: (t) => ({
    read: t.exposeInt('read', { nullable: false, description: 'Records read.' }),
    created: t.exposeInt('created', { nullable: false, description: 'Papers created.' }),
    updated: t.exposeInt('updated', { nullable: false, description: 'Records that changed a paper.' }),
    unchanged: t.exposeInt('unchanged', { nullable: false, description: 'Records that changed nothing.' }),
    skipped: t.exposeInt('skipped', { nullable: false, description: 'Bad records, skipped (all of them).' }),
    problems: t.field({
      type: [ImportProblemRef],
      nullable: false,
      description: `The first ${MAX_REPORTED_PROBLEMS} skipped records and why (\`skipped\` counts them all).`,
      ...atMost(MAX_REPORTED_PROBLEMS),
      resolve: (s) => s.problems,
    }),
  }),
});

builder.mutationField('importPapers', (t) =>
  t.field({
    type: ImportPapersPayload,
    description:
      'Imports papers from a file’s content, in one transaction (scope `admin`): the payload says what was written; on an error nothing was. Bad records are skipped and reported, or, with `strict`, abort the import.',
    authScopes: { admin: true },
    errors: mutationErrors('importPapers', [ValidationError, ForbiddenError]),
    args: { input: t.arg({ type: ImportPapersInput, required: true, description: 'The content and its format.' }) },
    resolve: async (_root, { input }, ctx) => {
      if (Buffer.byteLength(input.content) > MAX_IMPORT_BYTES) {
        throw new ValidationError([{ field: 'input.content', message: `must be at most ${MAX_IMPORT_BYTES} bytes` }]);
      }
      const dir = await mkdtemp(path.join(os.tmpdir(), 'papergraph-import-'));
      try {
        const file = path.join(dir, 'content');
        await writeFile(file, input.content);
        // One transaction for the whole content: the counts returned are what was written, and
        // the new papers' events are read in it (announced after the commit, without the database).
        const { summary, added } = await inWriteTransaction(ctx.db, async (trx) => {
          const created: number[] = [];
          const summary = await importFile(trx, file, {
            format: input.format,
            featuredOn: input.featuredOn ?? undefined,
            strict: input.strict ?? false,
            onCreated: (ids) => {
              created.push(...ids);
            },
          });
          return { summary, added: await paperAddedEvents(trx, created) };
        });
        announcePapersAdded(ctx.pubsub, added);
        importEvents.emit('imported', {
          created: summary.created,
          updated: summary.updated,
          unchanged: summary.unchanged,
          skipped: summary.skipped,
        });
        return summary;
      } catch (error) {
        // A failure in the database is not the content's fault: masked (or 503), and logged.
        if (error instanceof ImportError && error.cause) throw error.cause;
        if (error instanceof ImportError) {
          const at = error.line ? `line ${error.line}: ` : '';
          throw new ValidationError([{ field: 'input.content', message: `${at}${error.reason}` }]);
        }
        throw error;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  }),
);
