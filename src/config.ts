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

/** Every setting papergraph reads from the environment, validated once at start-up. */
const schema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .refine((v) => /^postgres(ql)?:\/\/.+/.test(v) && URL.canParse(v), {
      message: 'must be a postgres:// or postgresql:// URL, e.g. postgres://user:pass@localhost:5432/papergraph',
    })
    .optional(),
  DATA_DIR: z.string().trim().min(1).default('.papergraph/pglite'),
  PORT: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 65535')
    .max(65535, 'must be between 1 and 65535')
    .default(4000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  SAMPLE_DATA: z.enum(['auto', 'off'], { message: "must be 'auto' or 'off'" }).default('auto'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  REDIS_URL: z
    .string()
    .trim()
    .refine((v) => /^rediss?:\/\/.+/.test(v) && URL.canParse(v), { message: 'must be a redis:// or rediss:// URL' })
    .optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  RATE_LIMIT_PER_MINUTE: positiveInt(600),
  MAX_BODY_BYTES: positiveInt(1_048_576),
  STATEMENT_TIMEOUT_MS: positiveInt(10_000),
});

/** The names of every environment variable papergraph reads. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

export interface Config {
  /** PostgreSQL connection string; absent means the embedded PGlite database. */
  databaseUrl: string | undefined;
  /** Folder of the embedded database (absolute). */
  dataDir: string;
  port: number;
  host: string;
  /** 'auto' loads the bundled sample papers when the database has none. */
  sampleData: 'auto' | 'off';
  production: boolean;
  /** Redis for rate limits shared by several server processes; absent: in memory. */
  redisUrl: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Requests a client address may make per minute. */
  rateLimitPerMinute: number;
  /** The largest request body accepted. */
  maxBodyBytes: number;
  /** PostgreSQL cancels any statement running longer. */
  statementTimeoutMs: number;
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
      const shown = name === 'DATABASE_URL' || name === 'REDIS_URL' ? '(hidden)' : JSON.stringify(present[name]);
      return `  ${name}=${shown}: ${i.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return {
    databaseUrl: c.DATABASE_URL,
    dataDir: path.resolve(c.DATA_DIR),
    port: c.PORT,
    host: c.HOST,
    sampleData: c.SAMPLE_DATA,
    production: c.NODE_ENV === 'production',
    redisUrl: c.REDIS_URL,
    logLevel: c.LOG_LEVEL,
    rateLimitPerMinute: c.RATE_LIMIT_PER_MINUTE,
    maxBodyBytes: c.MAX_BODY_BYTES,
    statementTimeoutMs: c.STATEMENT_TIMEOUT_MS,
  };
}
