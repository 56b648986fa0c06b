// What a process (or a process and its children) costs, read from Linux's /proc: CPU time and
// resident memory, and the CPU of the PostgreSQL backends of a server on this machine. Every
// reader gives NaN (or leaves the process out) when the process has gone meanwhile.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks a second of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux we run). */
const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // the process has exited
  }
}

/** CPU time (user + system) a process has used, in ms; NaN when it has exited. */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  if (!fields) return Number.NaN;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Resident memory of a process in MB: now (VmRSS) or its peak so far (VmHWM); NaN when it has exited. */
export function memoryMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return Number.NaN;
  }
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** The numeric entries of /proc: the live processes. */
function pids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

/** A process and all its descendants (children of children too), the process first. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of pids()) {
    const parent = Number(statFields(pid)?.[1]);
    if (Number.isInteger(parent)) children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] as number) ?? []));
  return tree;
}

/** CPU time of a process and its descendants, in ms (exited descendants drop out); NaN when the root has exited. */
export function treeCpuMs(root: number): number {
  const [first, ...rest] = processTree(root).map(cpuMs);
  return rest.reduce((sum, ms) => sum + (Number.isNaN(ms) ? 0 : ms), first ?? Number.NaN);
}

/** Resident memory of a process and its descendants now, in MB; NaN when the root has exited. */
export function treeRssMb(root: number): number {
  const [first, ...rest] = processTree(root).map((pid) => memoryMb(pid, 'VmRSS'));
  return rest.reduce((sum, mb) => sum + (Number.isNaN(mb) ? 0 : mb), first ?? Number.NaN);
}

/** CPU time (ms) of every PostgreSQL process on this machine (backends, autovacuum, ...), by pid. */
export function postgresCpu(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const pid of pids()) {
    try {
      if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) continue;
    } catch {
      continue; // gone meanwhile
    }
    const ms = cpuMs(pid);
    if (!Number.isNaN(ms)) byPid.set(pid, ms);
  }
  return byPid;
}

/** PostgreSQL CPU (ms) used since `before`: processes that exited meanwhile (autovacuum workers) drop out. */
export function postgresCpuSince(before: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of postgresCpu()) total += ms - (before.get(pid) ?? 0);
  return total;
}

export interface RssSampler {
  /** One reading per interval, in MB (NaN once the process has exited). */
  readonly series: number[];
  /** The largest reading so far, in MB. */
  max(): number;
  stop(): void;
}

/** Reads the resident memory of a process tree every `intervalMs` until stopped. */
export function sampleRss(root: number, intervalMs = 1000): RssSampler {
  const series: number[] = [treeRssMb(root)];
  const timer = setInterval(() => series.push(treeRssMb(root)), intervalMs);
  return {
    series,
    max: () => Math.max(...series.filter((mb) => !Number.isNaN(mb))),
    stop: () => clearInterval(timer),
  };
}
