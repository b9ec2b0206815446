/**
 * The servers under test, each in a child process: bench/server.ts (a target that reports its
 * port over IPC), src/main.ts (through test/support/process.ts), or any command that serves
 * /readyz. Each is started pinned or not (pin.ts) and stopped the same way: SIGTERM, then
 * SIGKILL if it has not exited in time.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startMain } from '../../test/support/process.js';
import type { Counts } from '../server.js';
import { pinnedCommand } from './pin.js';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const serverEntry = join(root, 'bench', 'server.ts');

/** git in this checkout (or `cwd`); its output, trimmed. */
export function git(args: string[], cwd = root): string {
  return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();
}

/** Another checkout of this repository, beside this one: its own bench/server.ts runs there. */
export interface Checkout {
  dir: string;
  /** Its commit, short. */
  commit: string;
  remove(): void;
}

/**
 * `commit` checked out (detached) at `dir` with `git worktree add`, sharing this checkout's
 * node_modules; remove() takes the worktree away again (a warning if it can't).
 */
export function checkOut(commit: string, dir: string): Checkout {
  git(['worktree', 'add', '--detach', dir, commit]);
  symlinkSync(realpathSync(join(root, 'node_modules')), join(dir, 'node_modules'), 'dir');
  return {
    dir,
    commit: git(['rev-parse', '--short', 'HEAD'], dir),
    remove() {
      try {
        git(['worktree', 'remove', '--force', dir]);
      } catch (error) {
        console.warn(`could not remove the worktree ${dir}: ${error}`);
      }
    },
  };
}

/** Stops a child: SIGTERM, SIGKILL after `graceMs` (0: SIGKILL at once); resolves on exit. */
export async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(graceMs === 0 ? 'SIGKILL' : 'SIGTERM');
  const timer = graceMs === 0 ? undefined : setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Settings bench/server.ts reads from the environment; a bench sets each one itself. */
const CHILD_SETTINGS =
  /^(NODE_ENV|HOST|PORT|LOG_LEVEL|DEBUG|OPS_TOKEN|GRAPHIQL|DEFAULT_TIMEZONE|SEED_DEMO|SQLITE_PATH|DATABASE_.*|REDIS_.*|CACHE_.*|BENCH_.*)$/;

/** This process's environment without the settings a bench server takes from its own. */
export function inheritedEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !CHILD_SETTINGS.test(entry[0]),
    ),
  );
}

export interface BenchServer {
  child: ChildProcess;
  /** The server's own pid (taskset execs node): /proc/<pid>/stat is its CPU. */
  pid: number;
  port: number;
  stop: () => Promise<void>;
  /** Its counts of agenda resolver calls and SQL statements (bench/server.ts). */
  counts: () => Promise<Counts>;
}

/**
 * bench/server.ts in a child process, with `env` as its whole environment, on `cpu` when given.
 * `output: 'framed'` shows its lines set apart from the progress lines; 'inherit' passes them.
 * `checkout`: another checkout's bench/server.ts, run from there (bench:layout's "before").
 * `entry`: another script speaking the same IPC (`{ port }`, counts) in its place.
 */
export async function startBenchServer(
  env: Record<string, string>,
  options: {
    cpu?: number;
    output?: 'framed' | 'inherit';
    checkout?: string;
    /** Another script that answers the same IPC (bench/lib/miss-ceiling.ts). */
    entry?: string;
    /** Node's own flags before the script (`--cpu-prof`: bench:miss's profile). */
    nodeArgs?: string[];
  } = {},
): Promise<BenchServer> {
  const entry =
    options.entry ??
    (options.checkout ? join(options.checkout, 'bench', 'server.ts') : serverEntry);
  const command = pinnedCommand(
    [process.execPath, ...(options.nodeArgs ?? []), '--import', 'tsx', entry],
    options.cpu,
  );
  const framed = options.output !== 'inherit';
  const child = spawn(command[0], command.slice(1), {
    cwd: options.checkout ?? root,
    env,
    stdio: ['ignore', framed ? 'pipe' : 'inherit', framed ? 'pipe' : 'inherit', 'ipc'],
  });
  // The target logs warnings and errors only; show them, set apart from the progress lines.
  for (const stream of framed ? [child.stdout, child.stderr] : []) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = chunk.trimEnd().split('\n');
      process.stderr.write(`\n${lines.map((line) => `  │ ${line}`).join('\n')}\n`);
    });
  }
  const stop = () => stopProcess(child);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the target did not listen within 60 s')),
        60_000,
      );
      const onMessage = (message: { port?: number }) => {
        if (typeof message?.port !== 'number') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message.port);
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the target exited (${signal ?? code}) before listening`));
      });
    });
    const pid = child.pid ?? 0;
    return { child, pid, port, stop, counts: () => childCounts(child) };
  } catch (error) {
    await stop();
    throw error;
  }
}

function childCounts(child: ChildProcess): Promise<Counts> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error('the target did not answer { type: "counts" } within 5 s'));
    }, 5_000);
    const onMessage = (message: { type?: string } & Counts) => {
      if (message?.type !== 'counts') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve({ agendaResolves: message.agendaResolves, statements: message.statements });
    };
    child.on('message', onMessage);
    child.send({ type: 'counts' });
  });
}

export interface MainProcess {
  app: ReturnType<typeof startMain>;
  pid: number;
  /** The port it printed it listens on. */
  port: string;
  stop: (graceMs?: number) => Promise<void>;
}

/** src/main.ts in a process of its own (startMain), on `cpu` when given, once it listens. */
export async function startMainProcess(
  env: Record<string, string>,
  cpu?: number,
): Promise<MainProcess> {
  const app = startMain(env, cpu);
  const stop = (graceMs?: number) => stopProcess(app.child, graceMs);
  try {
    const [, port] = await app.printed(/listening on http:\/\/localhost:(\d+)\/graphql/);
    if (app.child.pid === undefined) throw new Error('no pid');
    return { app, pid: app.child.pid, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * `command` in a child, on `cpus` when given, once `${url}/readyz` answers 200 (60 s at most).
 * Its output is kept for the error when it never does.
 */
export async function startReadyProcess(
  command: string[],
  env: Record<string, string>,
  url: string,
  cpus?: string,
): Promise<ChildProcess> {
  const pinned = pinnedCommand(command, cpus);
  const child = spawn(pinned[0], pinned.slice(1), { env, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (c) => {
    output += c;
  });
  child.stderr?.on('data', (c) => {
    output += c;
  });
  for (let i = 0; i < 600; i++) {
    const ready = await fetch(`${url}/readyz`).catch(() => null);
    if (ready?.status === 200) return child;
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`instance on ${new URL(url).port} did not become ready:\n${output}`);
}

/** Resident memory of a process, from /proc, in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}
