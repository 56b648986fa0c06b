import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../src/config.ts';

// There is no Docker engine on our machines: check what can be checked without one.
const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, Record<string, unknown>>;
};
const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');

describe('docker-compose.yml', () => {
  const db = compose.services.db as {
    image: string;
    environment: Record<string, string>;
    healthcheck: { test: string[] };
  };
  const app = compose.services.app as {
    build: string;
    depends_on: Record<string, { condition: string }>;
    environment: Record<string, string>;
    ports: string[];
  };

  it('runs PostgreSQL with a healthcheck, and the app once it is healthy', () => {
    expect(db.image).toMatch(/^postgres:\d+/);
    expect(db.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(app.build).toBe('.');
    expect(app.depends_on.db?.condition).toBe('service_healthy');
    expect(app.depends_on.redis?.condition).toBe('service_healthy');
    expect(new URL(app.environment.REDIS_URL ?? '').hostname).toBe('redis');
    expect(compose.services.redis).toBeDefined();
    expect((compose.services.app as { healthcheck?: { test: string[] } }).healthcheck?.test.join(' ')).toContain(
      '/ready',
    );
  });

  it("gives the app only settings it knows, valid ones, pointing at the db service's credentials", () => {
    for (const name of Object.keys(app.environment)) expect(CONFIG_VARIABLES).toContain(name);
    const config = loadConfig(app.environment);
    const url = new URL(config.databaseUrl ?? '');
    expect(url.hostname).toBe('db');
    expect(decodeURIComponent(url.username)).toBe(db.environment.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(db.environment.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${db.environment.POSTGRES_DB}`);
    expect(config.host).toBe('0.0.0.0');
    expect(app.ports).toContain(`${config.port}:${config.port}`);
  });

  it('builds an image that serves with the same command as npm start', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      scripts: { start: string };
      engines: { node: string };
    };
    expect(dockerfile).toContain(`CMD ${JSON.stringify(pkg.scripts.start.split(' '))}`.replace(/,/g, ', '));
    // Every stage on a supported LTS; the last one runs unprivileged with its database in a volume.
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms) expect(from).toMatch(/^node:(22|24)-/);
    expect(dockerfile).toContain(`EXPOSE ${loadConfig({}).port}`);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/\bHOST=0\.0\.0\.0\b/);
    expect(runtime).toMatch(/\bDATA_DIR=\/data\b/);
    expect(runtime).toContain('VOLUME ["/data"]');
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\/ready/ms);
  });
});
