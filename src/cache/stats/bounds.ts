import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * One in-memory structure that grows with what clients send, and its bound in bytes (DESIGN
 * §12). The structure counts what it holds; the metrics below read it at each scrape.
 */
export class ByteBudget {
  /** Bytes held now, when the structure counts them itself (see `reader`). */
  held = 0;
  /** Entries pushed out to make room. */
  evictions = 0;
  /** Entries not kept at all: larger than the structure's per-entry cap, or over a quota. */
  refusals = 0;

  constructor(
    /** The `structure` label: memory_store, apq, parse_cache, key_memo, popular, ... */
    readonly structure: string,
    /** Set once at start (the process-wide memos take it from the config). */
    public maxBytes: number,
    /** Reads the bytes held from the structure (lru-cache's calculatedSize), else `held`. */
    public reader?: () => number,
  ) {}

  get bytes(): number {
    return this.reader ? this.reader() : this.held;
  }
}

/**
 * Structures that exist once per process (module-level memos): every registry reports them.
 * Per-app structures are added to the app's own stats (CacheStats.budget).
 */
export const processBudgets = new Set<ByteBudget>();

/** A budget that every app's /metrics reports. */
export function processBudget(structure: string, maxBytes: number): ByteBudget {
  const budget = new ByteBudget(structure, maxBytes);
  processBudgets.add(budget);
  return budget;
}

/** The cost of a JS string in the V8 heap: 12 to 16 bytes of header, then 1 or 2 per char. */
export function stringBytes(text: string): number {
  // Latin-1 strings are stored one byte a character; anything else takes two.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for non-Latin-1
  return 16 + (/[^\u0000-\u00ff]/.test(text) ? text.length * 2 : text.length);
}

/**
 * hotpath_memory_bytes{structure}, hotpath_memory_max_bytes{structure},
 * hotpath_memory_evictions_total{structure} and hotpath_memory_refusals_total{structure}.
 * Budgets with the same label (two hit paths in one test process) add up.
 */
export function registerBudgetMetrics(registry: Registry, budgets: () => Iterable<ByteBudget>) {
  const sum = (read: (b: ByteBudget) => number) => {
    const totals = new Map<string, number>();
    for (const b of budgets()) totals.set(b.structure, (totals.get(b.structure) ?? 0) + read(b));
    return totals;
  };
  const labelNames = ['structure'] as const;
  new Gauge({
    name: 'hotpath_memory_bytes',
    help: 'Bytes an in-memory structure holds (estimated as the README says).',
    labelNames,
    registers: [registry],
    collect() {
      for (const [structure, value] of sum((b) => b.bytes)) this.set({ structure }, value);
    },
  });
  new Gauge({
    name: 'hotpath_memory_max_bytes',
    help: "An in-memory structure's bound in bytes (its variable: see the README).",
    labelNames,
    registers: [registry],
    collect() {
      for (const [structure, value] of sum((b) => b.maxBytes)) this.set({ structure }, value);
    },
  });
  for (const [name, help, read] of [
    ['evictions', 'Entries pushed out of a structure to stay within its bytes.', 'evictions'],
    ['refusals', 'Entries a structure did not keep: too large, or over a quota.', 'refusals'],
  ] as const) {
    new Counter({
      name: `hotpath_memory_${name}_total`,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [structure, value] of sum((b) => b[read])) this.inc({ structure }, value);
      },
    });
  }
}
