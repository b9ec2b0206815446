import { complexityFromQuery } from '@pothos/plugin-complexity';
import {
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  getOperationAST,
  Kind,
  parse,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { RequestAuth } from '../auth/request-auth.js';
import type { TenantViewer } from '../auth/viewer.js';
import type { Budgets, Charge } from '../budget/budgets.js';
import { type Bulkhead, BulkheadFull } from '../budget/bulkhead.js';
import { actualCost, costJson, rootWeightsOf, spliceCost } from '../budget/cost.js';
import type { RequestCacheState } from '../cache/request-state.js';
import { tenantBusy, throttled } from '../errors/errors.js';

export interface CostBudgetOptions {
  budgets: Budgets;
  bulkhead: Bulkhead;
  auth: RequestAuth;
  /** The response cache's state of a request (hit or not). */
  cacheStateOf: (request: Request) => RequestCacheState | null;
  /** In-process replays (warming, stale-while-revalidate refreshes): nobody's budget pays. */
  exempt: (request: Request) => boolean;
}

interface Admitted {
  payer: TenantViewer;
  requested: number;
  charge: Charge;
  /** Its weighted root fields (src/budget/cost.ts): what came back of them costs the weight. */
  rootWeights: Map<string, number>;
}

type Raw = ExecutionResult & { stringify?: () => string };

/**
 * Cost budgets on Yoga's path (DESIGN §15). `costs` is fed by the cost rule of
 * use-request-limits (the requested cost of each validated request). `admission` runs first
 * among the execute hooks: a request over budget is refused before it joins a flight or takes a
 * bulkhead slot; then it waits for its tenant's slot. `report` runs last among the result hooks:
 * it settles the actual cost (refunding the rest) and adds extensions.cost to every answer.
 *
 * Live queries re-execute through the replay port, which no budget charges here: the live hub
 * charges its streams through createLiveBudget (below).
 */
export function useCostBudget(options: CostBudgetOptions) {
  const { budgets, bulkhead, auth } = options;
  const requestedOf = new WeakMap<Request, number>();
  const admittedOf = new WeakMap<Request, Admitted>();

  /** Who pays for a request: the tenant's API key it came with (operators pay nothing). */
  const payerOf = async (request: Request): Promise<TenantViewer | null> => {
    if (options.exempt(request)) return null;
    const viewer = await auth.viewerOf(request);
    return viewer?.kind === 'tenant' ? viewer : null;
  };

  const admission: Plugin = {
    async onExecute({ args, setResultAndStopExecution }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request) return;
      const payer = await payerOf(request);
      if (!payer) return;
      const { tenantId } = payer;
      const requested = requestedOf.get(request) ?? 1;
      const charge = await budgets.admit(payer, requested);
      if (!charge.allowed) {
        setResultAndStopExecution({
          errors: [throttled(charge.retryAfter)],
          extensions: { cost: JSON.parse(costJson(requested, null, charge.status)) },
        });
        return;
      }
      let slot: { release: () => void; queuedSeconds: number };
      try {
        slot = await bulkhead.acquire(tenantId);
      } catch (error) {
        if (!(error instanceof BulkheadFull)) throw error;
        budgets.refund(payer, charge.charged);
        setResultAndStopExecution({
          errors: [tenantBusy(1)],
          extensions: { cost: JSON.parse(costJson(requested, null, charge.status)) },
        });
        return;
      }
      if (slot.queuedSeconds > 0) budgets.queued(tenantId, slot.queuedSeconds);
      const rootWeights = rootWeightsOf(args.schema, args.document, args.operationName);
      admittedOf.set(request, { payer, requested, charge, rootWeights });
      return {
        // A stream (a live query) holds no slot while it waits for changes either.
        onExecuteDone() {
          slot.release();
        },
      };
    },
  };

  const report: Plugin = {
    async onExecutionResult({ request, result, setResult }) {
      if (!result || Symbol.asyncIterator in result) return;
      const raw = result as Raw;
      if ((raw.extensions as { cost?: unknown } | undefined)?.cost) return; // refused above
      const admitted = admittedOf.get(request);
      let cost: string;
      if (admitted) {
        const actual = actualCost(raw.data, admitted.requested, admitted.rootWeights);
        const status = budgets.settle(admitted.payer, admitted.requested, actual, admitted.charge);
        cost = costJson(admitted.requested, actual, status);
      } else {
        const payer = await payerOf(request);
        if (!payer) return;
        const state = options.cacheStateOf(request);
        if (state?.outcome === 'hit' || state?.outcome === 'stale') {
          // Answered from the cache, before any validation: it costs COST_HIT.
          const hit = budgets.hit(payer);
          const hitCost = budgets.config.hitCost;
          if (!hit.allowed) {
            // The refusal is not the entry: no ETag to revalidate it by.
            state.etag = null;
            setResult({
              errors: [throttled(hit.retryAfter)],
              extensions: { cost: JSON.parse(costJson(hitCost, null, hit.status)) },
            });
            return;
          }
          budgets.charged(payer);
          cost = costJson(hitCost, hitCost, hit.status);
        } else {
          // Refused before execution (a limit, a validation error): nothing ran, nothing paid.
          cost = costJson(requestedOf.get(request) ?? 0, 0, budgets.peek(payer));
        }
      }
      if (typeof raw.stringify === 'function') {
        const text = raw.stringify();
        setResult({ stringify: () => spliceCost(text, cost) } as ExecutionResult);
        return;
      }
      setResult({ ...raw, extensions: { ...raw.extensions, cost: JSON.parse(cost) } });
    },
  };

  return {
    admission,
    report,
    /** The bulkhead itself (tests hold a tenant's slot with it). */
    bulkhead,
    /** For use-request-limits' cost rule: the requested cost of a validated request. */
    onCost: (request: Request, cost: number) => {
      requestedOf.set(request, cost);
    },
  };
}

export type CostBudgetPlugins = ReturnType<typeof useCostBudget>;

/**
 * What the live hub charges its streams with (src/live/budget.ts, its port; README: Budgets):
 * the budgets, and the cost rule's count of a live operation (the same plugin, weights
 * included, counted once per group). A document the rule can't count costs 1: its execution
 * fails validation anyway.
 */
export function createLiveBudget(budgets: Budgets, schema: GraphQLSchema) {
  return {
    hitCost: budgets.config.hitCost,
    costOf(params: {
      query: string;
      operationName: string | null;
      variables: Record<string, unknown> | null;
    }) {
      let requested = 1;
      let rootWeights = new Map<string, number>();
      try {
        const document = parse(params.query, { noLocation: true });
        const operation = getOperationAST(document, params.operationName);
        if (operation) {
          // The operation that runs, with the fragments it may use: the plugin counts the first.
          const only: DocumentNode = {
            ...document,
            definitions: document.definitions.filter(
              (d) => d.kind !== Kind.OPERATION_DEFINITION || d === operation,
            ),
          };
          const counted = complexityFromQuery(only, { schema, variables: params.variables ?? {} });
          requested = Math.max(1, counted.complexity);
          rootWeights = rootWeightsOf(schema, document, params.operationName);
        }
      } catch {
        // Not countable: its execution fails validation, and costs 1.
      }
      return {
        requested,
        actual(body: string): number {
          try {
            const { data } = JSON.parse(body) as { data?: unknown };
            return actualCost(data, requested, rootWeights);
          } catch {
            return 0;
          }
        },
      };
    },
    admit: (payer: TenantViewer, cost: number) => budgets.admit(payer, cost),
    settle(payer: TenantViewer, requested: number, actual: number, admitted: { charged: number }) {
      budgets.settle(payer, requested, actual, admitted as Charge);
    },
  };
}
