/**
 * bench:live's report: the section of docs/benchmarks.md, and issue 16's targets met or missed.
 */
import { LOADER_CPU, SERVER_CPU } from './lib/pin.js';
import { int, loads, writeDocSection } from './lib/report.js';

/** How the run was made, as the report states it. */
export interface RunInfo {
  quick: boolean;
  only: string | null;
  pinned: boolean;
  sizes: {
    dashboards: number;
    groups: number;
    seconds: number;
    idle: number;
    hitSeconds: number;
    warmup: number;
  };
  writeEveryMs: number;
}

export interface ModeResult {
  mode: string;
  requests: number;
  writes: number;
  statementsPerWrite: number;
  executionsPerWrite: number;
  p50: number | null;
  p99: number | null;
  unseen: number;
  early: number;
  staleSharePct: number;
  staleSecondsPerDashboard: number;
  fresh?: string;
  extra?: string;
}

export interface IdleResult {
  streams: number;
  rssBefore: number;
  rssAfter: number;
  perStreamKb: number;
  /** Hits before the streams open, while they are open, and once they are closed again. */
  hitsBefore: { reqPerSec: number; p99: number };
  hitsWith: { reqPerSec: number; p99: number };
  hitsAfter: { reqPerSec: number; p99: number };
  openStreamsMetric: number | null;
}

export function report(
  run: RunInfo,
  modes: ModeResult[],
  idle: IdleResult | null,
  loadBefore: number[],
  elapsedS: number,
) {
  const ms = (v: number | null) => (v === null ? '–' : v.toFixed(1));
  const hit = (h: { reqPerSec: number; p99: number }) =>
    `${int(h.reqPerSec)} req/s (p99 ${h.p99.toFixed(2)} ms)`;
  const lines = [
    `## Live queries (issue 16): ${run.quick ? 'QUICK run (--quick: small numbers, proof that it works, not figures)' : 'full run'}${run.only ? ` (--only=${run.only})` : ''}, ${new Date().toISOString().slice(0, 19)}Z`,
    '',
    ...(loadBefore[0] > 1.5
      ? [
          `- **Noisy machine** (load average ${loadBefore[0].toFixed(1)} before the run): rerun on a quiet one for figures.`,
        ]
      : []),
    `- ${run.pinned ? `Instances on core ${SERVER_CPU}, load generator on core ${LOADER_CPU} (taskset)` : 'Not pinned'}; PostgreSQL (fresh schema) and the shared Redis (own prefix); NODE_ENV=production; load average before: ${loads(loadBefore)}; the whole run took ${Math.round(elapsedS)} s.`,
  ];
  if (modes.length > 0) {
    lines.push(
      `- (a) ${int(run.sizes.dashboards)} dashboards (today's agenda of one provider) on ${run.sizes.groups} groups, spread over 2 instances; one booking every ${run.writeEveryMs / 1000} s for ${run.sizes.seconds} s, through the instances in turn. Delay: from a write's response to each dashboard of its group holding the new result (a push, or the next poll's answer; 0 when the push came first). Statements: SQL run beyond the writes' own; executions: those statements over one execution's (the dashboard's query run once against the database). Stale: the share of dashboard-time showing an older version than the last write answered.`,
      '',
      '| mode | requests | writes | delay p50 ms | p99 ms | never seen | DB statements / write | DB executions / write | time showing stale data | stale s per dashboard | last result = fresh read | notes |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
      ...modes.map(
        (m) =>
          `| ${m.mode} | ${int(m.requests)} | ${m.writes} | ${ms(m.p50)} | ${ms(m.p99)} | ${m.unseen} | ${m.statementsPerWrite.toFixed(1)} | ${m.executionsPerWrite.toFixed(2)} | ${m.staleSharePct.toFixed(2)}% | ${m.staleSecondsPerDashboard.toFixed(2)} | ${m.fresh ?? '–'} | ${m.extra || ''} |`,
      ),
      '',
    );
  }
  if (idle) {
    lines.push(
      `- (b) ${int(run.sizes.idle)} idle live streams on one instance (${idle.streams} open with a first result; \`hotpath_live_streams\`: ${idle.openStreamsMetric ?? 'n/a'}): RSS of a fresh process ${idle.rssBefore.toFixed(0)} MB before, ${idle.rssAfter.toFixed(0)} MB after, **${idle.perStreamKb.toFixed(1)} KB per stream**. Hits of a polled agenda (autocannon, 50 connections, ${run.sizes.hitSeconds} s after ${run.sizes.warmup} s), before the streams open, while open, after they closed: ${hit(idle.hitsBefore)}; ${hit(idle.hitsWith)}; ${hit(idle.hitsAfter)}: with the streams open, ${(idle.hitsWith.reqPerSec / ((idle.hitsBefore.reqPerSec + idle.hitsAfter.reqPerSec) / 2)).toFixed(2)}× the mean of the other two.`,
    );
  }
  const checks = targets(modes, idle);
  if (checks.length > 0) {
    lines.push(
      '',
      `- Issue 16's targets${run.quick ? ' (a quick run proves nothing about them)' : ''}:`,
    );
    lines.push(
      ...checks.map(([name, met, got]) => `  - ${met ? 'met' : 'MISSED'}: ${name} (${got})`),
    );
  }
  const text = lines.join('\n');
  console.log(text);
  writeDocSection('live', text);
}

/** Issue 16's figures, each as [target, met, what the run measured]. */
export function targets(modes: ModeResult[], idle: IdleResult | null): [string, boolean, string][] {
  const checks: [string, boolean, string][] = [];
  const live = modes.find((m) => m.fresh !== undefined);
  if (live) {
    const [equal, total] = (live.fresh ?? '0 / 1').split(' / ').map(Number);
    checks.push(
      ['push delay p50 ≤ 50 ms', (live.p50 ?? Infinity) <= 50, `${live.p50?.toFixed(1)} ms`],
      ['push delay p99 ≤ 250 ms', (live.p99 ?? Infinity) <= 250, `${live.p99?.toFixed(1)} ms`],
      ['every last result equals a fresh read', equal === total, `${equal} of ${total}`],
      [
        'at most 2 database executions per write',
        live.executionsPerWrite <= 2,
        live.executionsPerWrite.toFixed(2),
      ],
    );
  }
  if (idle) {
    const others = (idle.hitsBefore.reqPerSec + idle.hitsAfter.reqPerSec) / 2;
    checks.push(
      [
        // A figure at or below zero is a collection during the measurement, not a result.
        'RSS per idle stream ≤ 20 KB',
        idle.perStreamKb > 0 && idle.perStreamKb <= 20,
        `${idle.perStreamKb.toFixed(1)} KB`,
      ],
      [
        // Within the noise of two runs without them: 5%.
        'hits keep their speed with the streams open (≥ 0.95×)',
        idle.hitsWith.reqPerSec >= 0.95 * others,
        `${(idle.hitsWith.reqPerSec / others).toFixed(2)}×`,
      ],
    );
  }
  return checks;
}
