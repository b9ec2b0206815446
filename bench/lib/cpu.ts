/**
 * The one CPU convention of the benches. A server's CPU is the user + system time of its own
 * process, read from /proc/<pid>/stat (utime + stime) before and after the measured window and
 * divided by the requests answered in that window: "server CPU µs per request". The process is
 * the server itself, never a wrapper: taskset execs node (pin.ts), so the pid spawned is the
 * server's. Warm-up, start-up and checks fall outside the window. The same reading of this
 * process gives the load generator's share, and Redis's own counters (`INFO cpu`: used_cpu_user
 * + used_cpu_sys) give Redis's, over the same window.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * utime + stime, in clock ticks, from the text of /proc/<pid>/stat. The command name (field 2)
 * is in parentheses and may itself hold spaces and parentheses, so the fields are counted from
 * the last `)`: state is field 3, utime field 14 and stime field 15.
 */
export function processTicks(stat: string): number {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/<pid>/stat line');
  const fields = stat.slice(close + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error('no utime and stime in the /proc/<pid>/stat line');
  return utime + stime;
}

/** used_cpu_user + used_cpu_sys from Redis's `INFO cpu`, in seconds. */
export function redisCpuSeconds(info: string): number {
  const value = (name: string) => {
    const match = new RegExp(`^${name}:([\\d.]+)\\s*$`, 'm').exec(info);
    if (!match) throw new Error(`INFO cpu has no ${name}`);
    return Number(match[1]);
  };
  return value('used_cpu_user') + value('used_cpu_sys');
}

/** CPU seconds spent per request, in µs; null when no request was answered. */
export function microsPerRequest(cpuSeconds: number, requests: number): number | null {
  return requests > 0 ? (cpuSeconds * 1e6) / requests : null;
}

/** Clock ticks per second, the unit of /proc's CPU times. */
export const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A process's CPU time (user + system) in seconds. */
export const processCpuSeconds = (pid: number | 'self') =>
  processTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / clockTicks;

/**
 * Opens the measured window on a process: `perRequest(requests)` closes it and gives the
 * process's CPU µs per request over the window (0 when nothing was answered).
 */
export function cpuWindow(pid: number): {
  perRequest: (requests: number) => number;
  /** Of that, the main thread's (JavaScript, and the GC work it does itself); 0 for none. */
  mainPerRequest: (requests: number) => number;
} {
  const before = processCpuSeconds(pid);
  const mainBefore = mainThreadCpuSeconds(pid);
  return {
    perRequest: (requests) => microsPerRequest(processCpuSeconds(pid) - before, requests) ?? 0,
    mainPerRequest: (requests) =>
      microsPerRequest(mainThreadCpuSeconds(pid) - mainBefore, requests) ?? 0,
  };
}

/**
 * The CPU time of a process's main thread (/proc/<pid>/task/<pid>/stat), in seconds: the rest
 * of the process's is its other threads', V8's helpers above all (concurrent marking, parallel
 * scavenges, sweeping, compilation), which a CPU profile of the main thread doesn't show.
 */
export const mainThreadCpuSeconds = (pid: number) =>
  processTicks(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')) / clockTicks;

/** Where the whole machine's CPU went, in seconds: the server, Redis, this process, all. */
export interface CpuSample {
  server: number;
  redis: number;
  self: number;
  machineBusy: number;
  machineTotal: number;
}

/** One reading of every counter; `redisInfo` is Redis's `INFO cpu` text. */
export function cpuSample(pid: number, redisInfo: string): CpuSample {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks.map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return {
    server: processCpuSeconds(pid),
    redis: redisCpuSeconds(redisInfo),
    self: processCpuSeconds('self'),
    machineBusy: busy / clockTicks,
    machineTotal: (busy + idle + iowait) / clockTicks,
  };
}

/** Share of the machine's CPU time that neither the bench, the target nor Redis used. */
export function othersShare(before: CpuSample, after: CpuSample): number | null {
  const total = after.machineTotal - before.machineTotal;
  if (total <= 0) return null;
  const ours =
    after.server - before.server + (after.redis - before.redis) + (after.self - before.self);
  return Math.max(0, (after.machineBusy - before.machineBusy - ours) / total);
}
