// Every setting papergraph reads from the environment, in one table: validated once at
// start-up (all problems reported at once), described for `papergraph --help` and the README.
import path from 'node:path';
import { z } from 'zod';

function positiveInt(fallback: number) {
  return z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be 1 or more')
    .max(2_147_483_647, 'is too large')
    .default(fallback);
}

/** A duration such as `90s`, `30m`, `1h` or `1d` (also `500ms`), in milliseconds. */
const duration = z
  .string()
  .trim()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration such as 30m, 1h or 1d (units: ms, s, m, h, d)')
  .transform((v) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(v) ?? [];
    const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 'ms' | 's' | 'm' | 'h' | 'd'];
    return Number(amount) * unitMs;
  })
  .refine((ms) => ms >= 1000 && ms <= 2_147_483_647, 'must be from 1s to 24d');

const url = (schemes: string, example: string) =>
  z
    .string()
    .trim()
    .min(1)
    .refine((v) => new RegExp(`^(${schemes})://.+`).test(v) && URL.canParse(v), {
      message: `must be a ${schemes
        .split('|')
        .map((scheme) => `${scheme}://`)
        .join(' or ')} URL, e.g. ${example}`,
    });

/** The variables: each a schema, what it means, and whether its value is a secret (never echoed). */
export const VARIABLES = {
  DATABASE_URL: {
    schema: url('postgres|postgresql', 'postgres://user:pass@localhost:5432/papergraph').optional(),
    help: 'PostgreSQL connection URL; unset: the embedded database (PGlite) in DATA_DIR',
    secret: true,
  },
  DATA_DIR: {
    schema: z.string().trim().min(1).default('.papergraph/pglite'),
    help: 'folder of the embedded database (ignored with DATABASE_URL)',
  },
  PORT: {
    schema: z.coerce
      .number({ message: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be between 1 and 65535')
      .max(65535, 'must be between 1 and 65535')
      .default(4000),
    help: 'HTTP port',
  },
  HOST: { schema: z.string().trim().min(1).default('127.0.0.1'), help: 'interface to listen on (0.0.0.0: all)' },
  SAMPLE_DATA: {
    schema: z.enum(['auto', 'off'], { message: "must be 'auto' or 'off'" }).default('auto'),
    help: "'auto' loads the bundled sample papers into an empty database; 'off' never does",
  },
  NODE_ENV: {
    schema: z.enum(['development', 'production', 'test']).default('development'),
    help: "Node's convention, passed on to libraries; error details never reach clients unless ERROR_DETAILS=on",
  },
  ERROR_DETAILS: {
    schema: z.enum(['off', 'on'], { message: "must be 'off' or 'on'" }).default('off'),
    help: "'on' sends unexpected errors' messages and stacks to clients: for development only",
  },
  REDIS_URL: {
    schema: url('redis|rediss', 'redis://localhost:6379').optional(),
    help: 'Redis shared by several server processes: subscription and topic-change events, rate limits, and the response cache with RESPONSE_CACHE=redis; unset: all in the process',
    secret: true,
  },
  LOG_LEVEL: {
    schema: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        message: 'must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
    help: 'fatal, error, warn, info, debug, trace or silent (JSON lines on stdout)',
  },
  RATE_LIMIT_PER_MINUTE: { schema: positiveInt(600), help: 'GraphQL operations a client address may send a minute' },
  TRUST_PROXY: {
    schema: z.enum(['off', 'on'], { message: "must be 'off' or 'on'" }).default('off'),
    help: "'on' behind a reverse proxy: the client address is the last one in X-Forwarded-For",
  },
  MAX_BODY_BYTES: { schema: positiveInt(1_048_576), help: 'largest request body accepted' },
  STATEMENT_TIMEOUT_MS: { schema: positiveInt(10_000), help: 'PostgreSQL cancels any statement running longer' },
  REQUEST_TIMEOUT_MS: {
    schema: positiveInt(15_000),
    help: 'a GraphQL request still running after this long is answered 503 and its work cancelled',
  },
  DB_POOL_SIZE: { schema: positiveInt(10), help: 'PostgreSQL connections per server process' },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: url('http|https', 'http://localhost:4318').optional(),
    help: 'send OpenTelemetry traces (OTLP over HTTP) there; the exporter reads the other OTEL_* variables; unset: no traces',
  },
  METRICS_PORT: {
    schema: z.coerce
      .number({ message: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be between 1 and 65535')
      .max(65535, 'must be between 1 and 65535')
      .optional(),
    help: 'serve Prometheus metrics at /metrics on this port (on HOST); unset: no metrics',
  },
  SYNC_URL: {
    schema: url('https|http', 'https://huggingface.co/api/daily_papers').default(
      'https://huggingface.co/api/daily_papers',
    ),
    help: 'the Daily Papers API that `papergraph sync` (and serve with SYNC_INTERVAL) follows; a mirror may stand in',
  },
  SYNC_INTERVAL: {
    schema: duration.optional(),
    help: 'serve syncs the Daily Papers API this often (e.g. 1h, 30m); unset: never (run papergraph sync instead)',
  },
  SYNC_REFETCH_DAYS: {
    schema: z.coerce
      .number({ message: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be 0 or more')
      .max(366, 'must be 366 or less')
      .default(3),
    help: 'a sync without a range fetches these last days again (their upvotes and comments still move)',
  },
  SYNC_TIMEOUT_MS: {
    schema: positiveInt(30_000),
    help: 'a request to the Daily Papers API, body included, fails after this long',
  },
  SYNC_ON_BAD_DATA: {
    schema: z.enum(['skip-day', 'stop'], { message: "must be 'skip-day' or 'stop'" }).default('skip-day'),
    help: "a malformed page: 'skip-day' records the day as failed (retried next sync) and goes on; 'stop' ends the sync there",
  },
  PERSISTED_DOCUMENTS: {
    schema: z.string().trim().min(1).optional(),
    help: 'a manifest of persisted documents (JSON: id → document, as graphql-codegen writes it): clients may send a documentId',
  },
  PERSISTED_DOCUMENTS_ONLY: {
    schema: z.enum(['off', 'on'], { message: "must be 'off' or 'on'" }).default('off'),
    help: "'on' runs the manifest's documents only (PERSISTED_DOCUMENTS, or the page's with WEB_APP): free-form queries are refused",
  },
  RESPONSE_CACHE: {
    schema: z.enum(['off', 'memory', 'redis'], { message: "must be 'off', 'memory' or 'redis'" }).default('off'),
    help: "keep whole responses to public reads for their declared time: 'memory' in the process, 'redis' in REDIS_URL",
  },
  WEB_APP: {
    schema: z.enum(['off', 'on'], { message: "must be 'off' or 'on'" }).default('off'),
    help: "'on' serves the Daily Papers page at /app/ (build it first: npm run build:web)",
  },
} as const satisfies Record<string, { schema: z.ZodType; help: string; secret?: boolean }>;

type Variables = typeof VARIABLES;

const schema = z
  .object(
    Object.fromEntries(Object.entries(VARIABLES).map(([name, v]) => [name, v.schema])) as {
      [K in keyof Variables]: Variables[K]['schema'];
    },
  )
  .superRefine((c, context) => {
    if (c.PERSISTED_DOCUMENTS_ONLY === 'on' && !c.PERSISTED_DOCUMENTS && c.WEB_APP !== 'on') {
      context.addIssue({
        code: 'custom',
        path: ['PERSISTED_DOCUMENTS_ONLY'],
        message: 'needs a manifest: set PERSISTED_DOCUMENTS (or WEB_APP=on)',
      });
    }
    if (c.RESPONSE_CACHE === 'redis' && !c.REDIS_URL) {
      context.addIssue({ code: 'custom', path: ['RESPONSE_CACHE'], message: "'redis' needs REDIS_URL" });
    }
  })
  .transform((c) => ({
    /** PostgreSQL connection string; absent means the embedded PGlite database. */
    databaseUrl: c.DATABASE_URL,
    /** Folder of the embedded database (absolute). */
    dataDir: path.resolve(c.DATA_DIR),
    port: c.PORT,
    host: c.HOST,
    /** 'auto' loads the bundled sample papers when the database has none. */
    sampleData: c.SAMPLE_DATA,
    production: c.NODE_ENV === 'production',
    /** Unexpected errors' messages and stacks in responses (never in production). */
    errorDetails: c.ERROR_DETAILS === 'on' && c.NODE_ENV !== 'production',
    /** Redis for events and rate limits shared by several server processes; absent: in the process. */
    redisUrl: c.REDIS_URL,
    logLevel: c.LOG_LEVEL,
    /** GraphQL operations a client address may send per minute. */
    rateLimitPerMinute: c.RATE_LIMIT_PER_MINUTE,
    /** Whether the client address comes from X-Forwarded-For (behind a reverse proxy). */
    trustProxy: c.TRUST_PROXY === 'on',
    /** The largest request body accepted. */
    maxBodyBytes: c.MAX_BODY_BYTES,
    /** PostgreSQL cancels any statement running longer. */
    statementTimeoutMs: c.STATEMENT_TIMEOUT_MS,
    /** A request still running after this long is answered 503. */
    requestTimeoutMs: c.REQUEST_TIMEOUT_MS,
    /** PostgreSQL connections of the process's pool. */
    dbPoolSize: c.DB_POOL_SIZE,
    /** Where Prometheus scrapes /metrics; undefined: no metrics. */
    metricsPort: c.METRICS_PORT,
    /** Where OpenTelemetry traces go; undefined: no traces. */
    otlpEndpoint: c.OTEL_EXPORTER_OTLP_ENDPOINT,
    /** The Daily Papers API the sync follows. */
    syncUrl: c.SYNC_URL,
    /** How often serve syncs, in milliseconds; absent: never. */
    syncIntervalMs: c.SYNC_INTERVAL,
    /** Days before today that a catch-up sync fetches again. */
    syncRefetchDays: c.SYNC_REFETCH_DAYS,
    /** One request to the Daily Papers API, body included, fails after this long. */
    syncTimeoutMs: c.SYNC_TIMEOUT_MS,
    /** What a malformed page does: the day is skipped (and retried next time), or the sync stops. */
    syncOnBadData: c.SYNC_ON_BAD_DATA,
    /** The manifest of persisted documents (absolute path); absent: none beyond the page's. */
    persistedDocuments: c.PERSISTED_DOCUMENTS === undefined ? undefined : path.resolve(c.PERSISTED_DOCUMENTS),
    /** Whether only persisted documents run. */
    persistedDocumentsOnly: c.PERSISTED_DOCUMENTS_ONLY === 'on',
    /** Where whole responses to public reads are kept, if anywhere. */
    responseCache: c.RESPONSE_CACHE,
    /** Whether the Daily Papers page is served at /app/. */
    webApp: c.WEB_APP === 'on',
  }));

export type Config = z.output<typeof schema>;

/** The names of every environment variable papergraph reads. */
export const CONFIG_VARIABLES = Object.keys(VARIABLES);

/** The variables for `--help`: name, what it means, default. */
export function describeVariables(): string {
  const width = Math.max(...CONFIG_VARIABLES.map((n) => n.length));
  return Object.entries(VARIABLES)
    .map(([name, v]) => {
      const fallback = (v.schema as z.ZodType).safeParse(undefined);
      const shown = fallback.success && fallback.data !== undefined ? ` (default ${String(fallback.data)})` : '';
      return `  ${name.padEnd(width)}  ${v.help}${shown}`;
    })
    .join('\n');
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as in most shells' `FOO= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? '?');
      const secret = name in VARIABLES && 'secret' in VARIABLES[name as keyof Variables];
      const shown = secret ? '(hidden)' : JSON.stringify(present[name]);
      return `  ${name}=${shown}: ${i.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
