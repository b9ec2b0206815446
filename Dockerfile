# syntax=docker/dockerfile:1
# Production image: compiled JavaScript (npm run build) on production dependencies only,
# run by the unprivileged `node` user. Build: docker build -t hotpath .
# Node 24, the current LTS (CI runs the suite on it and on Node 20; README, Supported runtimes).
# Both stages on the same major: the native addon (better-sqlite3) built in the first must load
# in the second.

FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles its native addon when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
# Listen on every interface inside the container (the default, 127.0.0.1, is for `npm start`).
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The SQLite file lives here when DATABASE_URL is unset; the only place the app writes.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 4000
# /health is 503 only when the database is down (a cache in fallback is `degraded`, still 200).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains (SHUTDOWN_DELAY_MS, SHUTDOWN_TIMEOUT_MS): give it the time before SIGKILL,
# e.g. docker stop -t 40 or the orchestrator's termination grace period.
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "dist/main.js"]
