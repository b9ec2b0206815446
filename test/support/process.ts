import { execFileSync, spawn } from 'node:child_process';

/** Whether `taskset` can pin processes here (util-linux). */
export function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * src/main.ts in a process of its own, as `npm start` runs it (tests, bench), or whatever
 * `args` give node (the production build). `printed` waits
 * for a line of its output; `exited` resolves with its exit code. `cpu` pins it to that core
 * with taskset (benchmarks), which execs node, so the child's pid is the server's.
 */
export function startMain(
  env: Record<string, string>,
  cpu?: number,
  args: string[] = ['--import', 'tsx', 'src/main.ts'],
) {
  const command = [process.execPath, ...args];
  const pinned = cpu === undefined ? command : ['taskset', '-c', String(cpu), ...command];
  const child = spawn(pinned[0], pinned.slice(1), {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      CACHE_WARM_INTERVAL: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const printed = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const match = output.match(pattern);
        if (match) {
          clearInterval(poll);
          resolve(match);
        } else if (Date.now() - started > timeoutMs || child.exitCode !== null) {
          clearInterval(poll);
          reject(new Error(`never printed ${pattern}:\n${output}`));
        }
      }, 50);
    });
  return { child, exited, printed, output: () => output };
}
