/**
 * Which core is whose, for every bench: the server under test on SERVER_CPU, the load
 * generator (the bench process itself, autocannon and all its threads) on LOADER_CPU. Pinned
 * with taskset when there is one and the machine has more than one core; otherwise nothing is
 * pinned and each bench says so in its report.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { hasTaskset } from '../../test/support/process.js';

export const SERVER_CPU = 1;
export const LOADER_CPU = 0;

/** Whether the benches can pin: taskset is there and there are two cores or more. */
export function canPin(): boolean {
  return availableParallelism() > 1 && hasTaskset();
}

/**
 * Moves a running process, every thread of it (-a), to `cpus` (a core or a taskset list such
 * as `0-3`). False when pinning is not possible here or taskset refused.
 */
export function pinProcess(pid: number, cpus: number | string): boolean {
  if (!canPin()) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpus), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins this process, the load generator, to LOADER_CPU (or `cpus`). */
export const pinSelf = (cpus: number | string = LOADER_CPU) => pinProcess(process.pid, cpus);

/**
 * The command run through `taskset -c cpus` when `cpus` is given. taskset execs the command,
 * so the child's pid is the command's own: /proc/<pid>/stat is then the server's CPU.
 */
export function pinnedCommand(command: string[], cpus: number | string | undefined): string[] {
  return cpus === undefined ? command : ['taskset', '-c', String(cpus), ...command];
}

/**
 * Several servers at once (bench:scale): the upper half of the cores for them, the lower half
 * for the load generator. On two cores that is SERVER_CPU and LOADER_CPU.
 */
export function coreHalves(cores = availableParallelism()): { server: string; loader: string } {
  const half = Math.floor(cores / 2);
  return { loader: `0-${Math.max(0, half - 1)}`, server: `${half}-${cores - 1}` };
}
