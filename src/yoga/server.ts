import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError } from 'graphql';
import { createYoga, maskError } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { unauthenticatedMessage } from '../auth/auth-first.js';
import type { RequestAuth } from '../auth/request-auth.js';
import type { CacheRuntime } from '../cache/runtime.js';
import type { Context, ServerContext } from '../context.js';
import { unauthenticated } from '../errors/errors.js';
import type { Limits } from '../limits.js';
import { yogaLogger } from '../logger.js';
import type { MetricsGate } from '../ops/metrics.js';
import { schema } from '../schema/index.js';
import type { Services } from '../services/services.js';
import type { Tracing } from '../telemetry/tracing.js';
import { createParseCache } from './parse-cache.js';
import { useAuthFirst } from './use-auth-first.js';
import type { CostBudgetPlugins } from './use-cost-budget.js';
import { useErrorCodes, useInputErrorCodes } from './use-error-codes.js';
import { useJit } from './use-jit.js';
import { useOperations } from './use-operations.js';
import { usePersistedQueries } from './use-persisted-queries.js';
import { useRequestLimits } from './use-request-limits.js';
import type { ResponseCachePlugins } from './use-response-cache.js';
import { useSchemaHiding, useValidationOptions } from './use-schema-hiding.js';
import { useTracing } from './use-tracing.js';
import { useValidationCache } from './use-validation-cache.js';

export interface ServerDeps {
  db: DataSource;
  services: Services;
  auth: RequestAuth;
  cache: CacheRuntime;
  /** The response cache's plugins (use-response-cache.ts), built before the server by app.ts. */
  responseCache: ResponseCachePlugins;
  logger: Logger;
  /** Serve GraphiQL at /graphql, with these headers filled in. */
  graphiql?: false | { defaultHeaders?: Record<string, string> };
  limits: Limits;
  /** True while the process stops: /readyz answers 503 so load balancers move away. */
  draining?: () => boolean;
  /** Schema introspection and field suggestions (off in production); default on. */
  introspection?: boolean;
  /** Who may read GET /metrics here; null: it is served on METRICS_PORT, not here. */
  metrics: MetricsGate | null;
  /** OpenTelemetry (README: Tracing); its plugin is installed only when it is on. */
  tracing?: Tracing;
  /** Cost budgets and the bulkhead (use-cost-budget.ts); absent: off. */
  costBudget?: CostBudgetPlugins;
}

/**
 * GraphiQL from @graphql-yoga/render-graphiql: its scripts, styles, editor workers and favicon
 * are inlined in the page, so it works with no internet access (Yoga's default page loads them
 * from unpkg and GitHub). The options never change, so the 9 MB page is built once.
 */
function offlineGraphiQL() {
  let page: string | undefined;
  return (options?: Parameters<typeof renderGraphiQL>[0]) => {
    page ??= renderGraphiQL(options);
    return page;
  };
}

/** Builds the GraphQL app from its dependencies. It never listens and reads no environment. */
export function createServer(deps: ServerDeps) {
  return createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/livez',
    landingPage: false,
    logging: yogaLogger(deps.logger),
    graphiql: deps.graphiql
      ? { title: 'Hotpath', headers: JSON.stringify(deps.graphiql.defaultHeaders ?? {}) }
      : false,
    // Validation depends on the request's variables (the cost rule reads them), so a result
    // cached per document could let an expensive operation through.
    // Parsed documents within PARSE_CACHE_MAX_BYTES, no parse errors kept (parse-cache.ts),
    // counted with the cache's other byte budgets.
    parserAndValidationCache: {
      validationCache: false,
      ...createParseCache({
        maxBytes: deps.cache.bounds.parseCacheBytes,
        maxTextBytes: deps.cache.bounds.parseCacheTextBytes,
        budget: deps.cache.stats.budget('parse_cache', deps.cache.bounds.parseCacheBytes),
      }),
    },
    renderGraphiQL: offlineGraphiQL(),
    maskedErrors: {
      // Never a stack trace in a response, whatever NODE_ENV says: it goes to the log.
      isDev: false,
      maskError(error, message) {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (!(original instanceof GraphQLError) && !(error instanceof GraphQLError && !original)) {
          deps.logger.error({ err: original ?? error }, 'unexpected error');
        }
        return maskError(error, message, false);
      },
    },
    plugins: [
      useOperations(deps),
      // Before anything reads the body: strangers get their 401 here (DESIGN §2).
      useAuthFirst(deps.auth),
      // Limits come first: their onParams runs before the cache keys the request.
      ...useRequestLimits(deps.limits, deps.costBudget?.onCost),
      ...useSchemaHiding(deps.introspection ?? true),
      useValidationOptions({
        maxErrors: deps.limits.validationErrors,
        hideSuggestions: !(deps.introspection ?? true),
      }),
      // A hash alone becomes its text here, before the cache keys the request.
      usePersistedQueries({ store: deps.cache.apq, auth: deps.auth, limits: deps.limits }),
      useInputErrorCodes(),
      // After every plugin that adds rules or wraps validation: it sees the final list.
      useValidationCache(),
      // Over budget is refused before a flight is joined or a bulkhead slot taken.
      ...(deps.costBudget ? [deps.costBudget.admission] : []),
      // Before the cache: a flight's joiner gets the shared result, not a compiled run.
      useJit({
        afterRuns: deps.cache.bounds.jitAfterRuns,
        maxBytes: deps.cache.bounds.jitBytes,
        budget: deps.cache.stats.budget('jit', deps.cache.bounds.jitBytes),
        logger: deps.logger,
      }),
      ...deps.responseCache.plugins,
      // After the cache: its onResponse reads the outcome and the Server-Timing it wrote.
      ...(deps.tracing?.on ? [useTracing(deps.tracing, deps.responseCache.stateFor)] : []),
      useErrorCodes({ logger: deps.logger, auth: deps.auth }),
      // Last among the result hooks: extensions.cost goes on the final answer.
      ...(deps.costBudget ? [deps.costBudget.report] : []),
    ],
    context: async ({ request }) => {
      const viewer = await deps.auth.viewerOf(request);
      if (!viewer) {
        // A backstop: use-auth-first refuses strangers before this runs.
        throw unauthenticated(unauthenticatedMessage(request.headers.get('authorization')));
      }
      return {
        viewer,
        services: deps.services,
        db: deps.db,
        cache: deps.responseCache.stateFor(request),
      };
    },
  });
}

export type HotpathServer = ReturnType<typeof createServer>;
