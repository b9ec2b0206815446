import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

// Issue 20: Hotpath runs on Node 24 (the current LTS) and on 20.19+. CI runs this file on both
// (.ci/run), so each pass proves its runtime is one the package declares; the rest checks, as
// data, that the README, `engines`, the image and CI say the same thing (docker can't run here).

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
};
const readme = readFileSync('README.md', 'utf8');

/** Whether `version` (x.y.z) satisfies `range`, a `||` list of caret ranges (`^20.19.0`). */
function satisfiesCarets(version: string, range: string): boolean {
  const [major, minor, patch] = version.split('.').map(Number);
  return range.split('||').some((part) => {
    const caret = part.trim().match(/^\^(\d+)\.(\d+)\.(\d+)$/);
    if (!caret) throw new Error(`engines: "${part.trim()}" is not a caret range`);
    const [, m, n, p] = caret.map(Number);
    return major === m && (minor > n || (minor === n && patch >= p));
  });
}

describe('supported runtimes', () => {
  it('engines is Node 24 and 20.19+, nothing else', () => {
    expect(pkg.engines.node).toBe('^20.19.0 || ^24.0.0');
    expect(satisfiesCarets('24.0.0', pkg.engines.node)).toBe(true);
    expect(satisfiesCarets('24.21.0', pkg.engines.node)).toBe(true);
    expect(satisfiesCarets('20.19.0', pkg.engines.node)).toBe(true);
    expect(satisfiesCarets('20.20.2', pkg.engines.node)).toBe(true);
    expect(satisfiesCarets('20.18.3', pkg.engines.node)).toBe(false);
    expect(satisfiesCarets('22.12.0', pkg.engines.node)).toBe(false);
    expect(satisfiesCarets('26.0.0', pkg.engines.node)).toBe(false);
  });

  it(`runs on a declared runtime (this pass: Node ${process.versions.node})`, () => {
    expect(satisfiesCarets(process.versions.node, pkg.engines.node)).toBe(true);
    // The native addon in node_modules is this runtime's build (.ci/node24 swaps it in).
    expect(new Database(':memory:').prepare('select 1 as one').get()).toEqual({ one: 1 });
  });

  it('the production image is Node 24 in both stages', () => {
    const froms = [...readFileSync('Dockerfile', 'utf8').matchAll(/^FROM\s+(\S+)/gm)].map(
      (m) => m[1],
    );
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image).toMatch(/^node:24(-|$)/);
  });

  it('the README states both runtimes, engines, and what moves when Node 20 goes', () => {
    expect(readme).toContain('## Supported runtimes');
    expect(readme).toContain(`\`${pkg.engines.node}\``);
    expect(readme).toMatch(/\| 24 \(the current LTS/);
    expect(readme).toMatch(/\| 20\.19 and later 20\.x/);
    for (const [name, next] of [
      ['graphql', '17'],
      ['vitest', '5'],
      ['better-sqlite3', '13'],
    ]) {
      expect(readme).toMatch(new RegExp(`\\| \`${name}\` \\| [^|]+ \\| ${next} \\|`));
    }
  });

  it("CI runs the README's test command on Node 24 and on the machine's Node", () => {
    // The command of "Two commands", as the README gives it.
    const command = readme.match(/^(npm test)\s+# the whole suite/m)?.[1];
    expect(command).toBe('npm test');
    expect(pkg.scripts.test).toBe('vitest run');
    const ci = readFileSync('.ci/run', 'utf8')
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'));
    // Each run's output also goes to a log (its failures are printed again at the end): with
    // pipefail, the pipeline fails when the command does.
    expect(ci).toContain('set -euo pipefail');
    const teed = (run: string) => new RegExp(`^if ${run} 2>&1 \\| tee "[^"]+"; then$`);
    expect(ci.some((line) => teed(`\\.ci/node24 ${command}`).test(line.trim()))).toBe(true);
    expect(ci.some((line) => teed(command as string).test(line.trim()))).toBe(true);
    // Both passes run whatever the first gives; either failing fails CI.
    expect(ci.join('\n')).toMatch(/failed\+=\('Node 24'\)[\s\S]*failed\+=\([\s\S]*exit 1/);
  });
});
