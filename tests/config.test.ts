import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('configuration', () => {
  it('has working defaults: embedded database, port 4000', () => {
    expect(loadConfig({})).toEqual({
      databaseUrl: undefined,
      dataDir: path.resolve('.papergraph/pglite'),
      port: 4000,
      host: '127.0.0.1',
      sampleData: 'auto',
      production: false,
      errorDetails: false,
      redisUrl: undefined,
      logLevel: 'info',
      rateLimitPerMinute: 600,
      trustProxy: false,
      maxBodyBytes: 1_048_576,
      statementTimeoutMs: 10_000,
      requestTimeoutMs: 15_000,
      dbPoolSize: 10,
      syncUrl: 'https://huggingface.co/api/daily_papers',
      syncIntervalMs: undefined,
      syncRefetchDays: 3,
      syncTimeoutMs: 30_000,
      syncOnBadData: 'skip-day',
      persistedDocuments: undefined,
      persistedDocumentsOnly: false,
      responseCache: 'off',
      webApp: false,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/papers',
      DATA_DIR: '/var/lib/papergraph',
      PORT: '8080',
      HOST: '0.0.0.0',
      SAMPLE_DATA: 'off',
      NODE_ENV: 'production',
      REDIS_URL: 'redis://cache:6379',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '60',
      TRUST_PROXY: 'on',
      MAX_BODY_BYTES: '2048',
      STATEMENT_TIMEOUT_MS: '500',
      REQUEST_TIMEOUT_MS: '3000',
      DB_POOL_SIZE: '4',
      SYNC_URL: 'http://mirror.internal:8080/api/daily_papers',
      SYNC_INTERVAL: '30m',
      SYNC_REFETCH_DAYS: '0',
      SYNC_TIMEOUT_MS: '5000',
      SYNC_ON_BAD_DATA: 'stop',
      PERSISTED_DOCUMENTS: 'client/persisted-documents.json',
      PERSISTED_DOCUMENTS_ONLY: 'on',
      RESPONSE_CACHE: 'redis',
      WEB_APP: 'on',
    });
    expect(config).toEqual({
      databaseUrl: 'postgres://u:p@db:5432/papers',
      dataDir: '/var/lib/papergraph',
      port: 8080,
      host: '0.0.0.0',
      sampleData: 'off',
      production: true,
      errorDetails: false,
      redisUrl: 'redis://cache:6379',
      logLevel: 'warn',
      rateLimitPerMinute: 60,
      trustProxy: true,
      maxBodyBytes: 2048,
      statementTimeoutMs: 500,
      requestTimeoutMs: 3000,
      dbPoolSize: 4,
      syncUrl: 'http://mirror.internal:8080/api/daily_papers',
      syncIntervalMs: 1_800_000,
      syncRefetchDays: 0,
      syncTimeoutMs: 5000,
      syncOnBadData: 'stop',
      persistedDocuments: path.resolve('client/persisted-documents.json'),
      persistedDocumentsOnly: true,
      responseCache: 'redis',
      webApp: true,
    });
  });

  it('rejects bad values, naming each variable and why, without echoing the database URL', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://secret@host/db', SAMPLE_DATA: 'yes' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT="eighty": must be a number/);
    expect(message).toMatch(/DATABASE_URL=\(hidden\): must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(message).toMatch(/SAMPLE_DATA="yes": must be 'auto' or 'off'/);
    expect(message).not.toContain('secret');
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT="70000": must be between 1 and 65535/);
  });
});
