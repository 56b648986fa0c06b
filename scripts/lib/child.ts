// The scripts' child processes: papergraph commands run to completion, and servers (`node
// bin/papergraph.js serve`, or any node script that listens) started with an environment of
// their own, waited for until they answer, and stopped by pid. Every child is remembered until it
// exits, so that a script interrupted by Ctrl-C can end them all (stopChildren).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';

/** The repository's root (scripts/lib/..). */
export const ROOT = path.resolve(import.meta.dirname, '../..');
/** The papergraph command as users run it. */
export const BIN = path.join(ROOT, 'bin/papergraph.js');

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Sends SIGTERM to every child still running (on an interrupt, or after a failure). */
export function stopChildren(except?: ChildProcess): void {
  for (const child of children) if (child !== except) child.kill('SIGTERM');
}

const exitText = (code: number | null, signal: NodeJS.Signals | null) => signal ?? `exit code ${code}`;

export interface RunOptions {
  /** Where its stderr goes: ours (the default) or nowhere. */
  stderr?: 'inherit' | 'ignore';
  /** Called with its pid once started (to watch it from /proc). */
  onStart?: (pid: number) => void;
}

/**
 * Runs `node bin/papergraph.js <args>` to completion with `env` over ours; returns its stdout.
 * Throws when it fails.
 */
export async function runPapergraph(
  args: string[],
  env: Record<string, string>,
  options: RunOptions = {},
): Promise<string> {
  const child = track(
    spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', options.stderr ?? 'inherit'],
    }),
  );
  if (child.pid !== undefined) options.onStart?.(child.pid);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0) throw new Error(`papergraph ${args[0]} failed (${exitText(code, signal)})`);
  return out;
}

/** New API keys of one scope, made with `papergraph keys create` (4 processes at a time). */
export async function createApiKeys(env: Record<string, string>, scope: 'write' | 'admin', count: number) {
  const createKey = async () => {
    const args = ['keys', 'create', '--scope', scope, '--name', `script-${scope}`];
    const key = (await runPapergraph(args, env, { stderr: 'ignore' })).trim().split('\n').pop() ?? '';
    if (!key.startsWith('pg_')) throw new Error('keys create printed no key');
    return key;
  };
  const keys: string[] = [];
  while (keys.length < count)
    keys.push(...(await Promise.all(Array.from({ length: Math.min(4, count - keys.length) }, createKey))));
  return keys;
}

/** A TCP port nobody listens on now (the OS picks it). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  const port = typeof address === 'object' && address ? address.port : 4310;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Calls `onLine` with each complete line a stream prints. */
export function eachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let pending = '';
  stream?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line);
  });
}

/** Starts `node <args>` (tracked like every child), with each line of its stdout to `onLine`. */
export function startNode(args: string[], onLine: (line: string) => void): ChildProcess {
  const child = track(spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }));
  eachLine(child.stdout, onLine);
  return child;
}

export interface ServerOptions {
  /** What it is, for messages. */
  name?: string;
  /** Node's arguments: the script and its own; `bin/papergraph.js serve` unless given. */
  args?: string[];
  /** Variables set over ours (PORT among them, unless the server takes its port otherwise). */
  env: Record<string, string>;
  port: number;
  /** Whether it answers yet; by default, GET /ready is 200. */
  ready?: (origin: string) => Promise<boolean>;
  /** Each line of its stdout and stderr; without it they are ignored and inherited. */
  onLine?: (line: string) => void;
  timeoutMs?: number;
  /** Stops the wait (Ctrl-C). */
  signal?: AbortSignal;
}

export interface ServerProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The GraphQL endpoint. */
  url: string;
  /** Whether the process is still running. */
  alive(): boolean;
}

async function answersReady(origin: string): Promise<boolean> {
  return (await fetch(`${origin}/ready`)).status === 200;
}

/** Starts a server and waits until it answers; throws when it exits first or takes longer than the timeout. */
export async function startServer(options: ServerOptions): Promise<ServerProcess> {
  const name = options.name ?? 'papergraph serve';
  const child = track(
    spawn(process.execPath, options.args ?? [BIN, 'serve'], {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', options.onLine ? 'pipe' : 'ignore', options.onLine ? 'pipe' : 'inherit'],
    }),
  );
  if (options.onLine) {
    eachLine(child.stdout, options.onLine);
    eachLine(child.stderr, options.onLine);
  }
  const origin = `http://127.0.0.1:${options.port}`;
  const server: ServerProcess = {
    name,
    child,
    pid: child.pid as number,
    origin,
    url: `${origin}/graphql`,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  const ready = options.ready ?? answersReady;
  while (Date.now() < deadline && !options.signal?.aborted) {
    if (!server.alive()) {
      throw new Error(`${name} exited before it was ready (${exitText(child.exitCode, child.signalCode)})`);
    }
    try {
      if (await ready(origin)) return server;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGTERM');
  throw new Error(options.signal?.aborted ? 'interrupted' : `${name} was not ready after ${timeoutMs / 1000} s`);
}

/**
 * Stops a server by its pid: SIGTERM (its graceful shutdown), then SIGKILL when it is still
 * running `graceMs` later. Returns how it exited, e.g. "exit code 0".
 */
export async function stopServer(server: ServerProcess, graceMs = 15_000): Promise<string> {
  const { child } = server;
  if (!server.alive()) return exitText(child.exitCode, child.signalCode);
  const exited = once(child, 'exit');
  process.kill(server.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    console.error(`${server.name} did not stop within ${graceMs / 1000} s of SIGTERM: killing it`);
    if (server.alive()) process.kill(server.pid, 'SIGKILL');
  }, graceMs);
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return exitText(code, signal);
}
