/**
 * Where a miss goes (issue 19), read from a V8 CPU profile (`node --cpu-prof`) of a server
 * under misses. Each sample is charged to the innermost frame of its stack that belongs to a
 * known part (so a native function such as JSON.stringify counts for the code that called it),
 * and only samples inside the measured window count: start-up and warm-up stay out.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The parts of a miss, in the order the report lists them. */
export const MISS_PARTS = [
  'cache: key, lookup, tags, walk, save',
  'serialisation (JSON of the result)',
  'GraphQL execution (graphql-js, Pothos, resolvers)',
  'DataLoader',
  'TypeORM: query building',
  'TypeORM: hydration (rows to entities)',
  'SQLite (better-sqlite3, its TypeORM runner)',
  'parse, validate, limits',
  'HTTP, Yoga, auth',
  'garbage collection',
  'other',
] as const;
export type MissPart = (typeof MISS_PARTS)[number];

/** The part a frame belongs to, or null when its caller decides. */
function partOf(frame: ProfileNode['callFrame']): MissPart | null {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (url === '' || /@whatwg-node\/promise-helpers/.test(url)) return null;
  if (/\/src\/cache\/|use-response-cache|@envelop\/response-cache/.test(url))
    return 'cache: key, lookup, tags, walk, save';
  if (/typeorm\/.*(Transformer|RelationIdLoader|RelationCountLoader)/.test(url))
    return 'TypeORM: hydration (rows to entities)';
  // The driver's native calls (SQLite's own work) are charged to the runner that makes them.
  if (/better-sqlite3/.test(url)) return 'SQLite (better-sqlite3, its TypeORM runner)';
  if (/\/typeorm\//.test(url)) return 'TypeORM: query building';
  if (/\/dataloader\/|plugin-dataloader/.test(url)) return 'DataLoader';
  if (
    /\/graphql\/(language|validation)\/|graphql-armor|src\/limits|parse-cache|use-request-limits|use-validation-cache/.test(
      url,
    )
  )
    return 'parse, validate, limits';
  if (
    /\/graphql\/(execution|type|jsutils|utilities)\/|@graphql-tools\/executor|@pothos\/|\/src\/(schema|loaders|services)\//.test(
      url,
    )
  )
    return 'GraphQL execution (graphql-js, Pothos, resolvers)';
  if (/result-processor|stringify/.test(url)) return 'serialisation (JSON of the result)';
  if (/graphql-yoga|@whatwg-node|@envelop\/core|\/src\/(http|auth|yoga)\/|node:/.test(url))
    return 'HTTP, Yoga, auth';
  return null;
}

/** What a native leaf is charged to: JSON.stringify by Yoga is the result's serialisation. */
function nativeCharge(leaf: ProfileNode['callFrame'], owner: MissPart | null): MissPart | null {
  if (leaf.url === '' && leaf.functionName === 'stringify' && owner === 'HTTP, Yoga, auth')
    return 'serialisation (JSON of the result)';
  return owner;
}

/**
 * Share of the samples per part between `fromUs` and `toUs` (the profile's own clock, µs),
 * idle left out. `fromEnd`: the window given as distances before the profile's end instead.
 */
export function missBreakdown(
  profile: CpuProfile,
  window: { fromEndUs: number; toEndUs: number },
): { shares: Record<MissPart, number>; samples: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const chargeOf = new Map<number, MissPart | null>();
  const charge = (id: number): MissPart | null => {
    if (chargeOf.has(id)) return chargeOf.get(id) ?? null;
    const node = byId.get(id);
    if (!node) return null;
    const name = node.callFrame.functionName;
    let part: MissPart | null;
    if (name === '(idle)' || name === '(program)' || name === '(root)') part = null;
    else {
      let owner: MissPart | null = null;
      for (
        let at: number | undefined = id;
        at !== undefined && owner === null;
        at = parent.get(at)
      ) {
        const frame = byId.get(at)?.callFrame;
        if (frame) owner = partOf(frame);
      }
      part = nativeCharge(node.callFrame, owner ?? 'other');
    }
    chargeOf.set(id, part);
    return part;
  };
  const counts = new Map<MissPart, number>();
  const from = profile.endTime - window.fromEndUs;
  const to = profile.endTime - window.toEndUs;
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    const part = charge(profile.samples[i]);
    if (part === null) continue;
    counts.set(part, (counts.get(part) ?? 0) + 1);
    total++;
  }
  const shares = Object.fromEntries(
    MISS_PARTS.map((part) => [part, total === 0 ? 0 : (counts.get(part) ?? 0) / total]),
  ) as Record<MissPart, number>;
  return { shares, samples: total };
}

export const readProfile = (path: string): CpuProfile => JSON.parse(readFileSync(path, 'utf8'));
