import { builder } from '../builder.ts';
import type { SyncRunStatus } from '../db/queries/sync-state.ts';
import { getSyncStatus, type SyncStatus } from '../sync/sync-status.ts';

const SyncRunStatusEnum = builder.enumType('SyncRunStatus', {
  description: 'How a run of the Daily Papers sync ended.',
  values: {
    RUNNING: { value: 'running', description: 'It is running now.' },
    COMPLETED: { value: 'completed', description: 'Every day it planned was merged.' },
    FAILED: {
      value: 'failed',
      description: 'A day could not be merged (bad upstream data, the upstream or the database unavailable).',
    },
    INTERRUPTED: {
      value: 'interrupted',
      description: 'It was stopped or its process ended before the last day; the next run resumes it.',
    },
  } as const satisfies Record<string, { value: SyncRunStatus; description: string }>,
});

const SyncStatusRef = builder.objectRef<SyncStatus>('SyncStatus').implement({
  description:
    'The Daily Papers sync (`papergraph sync`, or the server with SYNC_INTERVAL), which follows the Hugging Face Daily Papers API day by day.',
  fields: (t) => ({
    lastCompletedDay: t.field({
      type: 'Date',
      nullable: true,
      description: 'The latest featured day merged whole; null before the first sync.',
      resolve: (s) => s.lastCompletedDay,
    }),
    lastRunAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the last run started; null before the first.',
      resolve: (s) => s.lastRunAt,
    }),
    lastRunStatus: t.field({
      type: SyncRunStatusEnum,
      nullable: true,
      description: 'How the last run ended (RUNNING while it runs); null before the first.',
      resolve: (s) => s.lastRunStatus,
    }),
    lastError: t.string({
      nullable: true,
      description:
        'Why the last run failed or stopped early, naming the days (and pages) at fault; null when it completed. Only for API keys with the `admin` scope, since it can name upstream and database details: null for everyone else (`lastRunStatus` says whether it failed).',
      resolve: (s, _args, ctx) => (ctx.viewer?.scopes.includes('admin') ? s.lastError : null),
    }),
    papersAdded: t.exposeInt('papersAdded', {
      nullable: false,
      description: 'Papers the last run created (so far, while it runs).',
    }),
    papersUpdated: t.exposeInt('papersUpdated', {
      nullable: false,
      description:
        'Papers whose values (upvotes, comments, stars, texts) the last run changed (so far, while it runs).',
    }),
    running: t.exposeBoolean('running', {
      nullable: false,
      description: 'Whether a sync is running now, in this server or (on PostgreSQL) any process.',
    }),
  }),
});

builder.queryField('syncStatus', (t) =>
  t.field({
    type: SyncStatusRef,
    nullable: false,
    description: 'Where the Daily Papers sync stands: its last completed day, its last run, and whether one runs now.',
    resolve: (_root, _args, ctx) => getSyncStatus(ctx.db),
  }),
);
