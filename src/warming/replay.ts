/** Runs a request through the GraphQL server in process, as if it came over HTTP. */
export type Replay = (request: Request) => Promise<Response> | Response;

/**
 * How what replays requests through Yoga (the warmer, stale-while-revalidate refreshes) reaches
 * it without importing it: they are built before Yoga (the services and the response cache
 * need them), and app.ts connects the port to Yoga once, right after building it. Nothing
 * replays before that: a request must have reached Yoga first.
 */
export function createReplayPort() {
  let target: Replay | null = null;
  return {
    replay(request: Request): Promise<Response> | Response {
      if (!target) throw new Error('replay before the GraphQL server was connected');
      return target(request);
    },
    connect(server: Replay) {
      if (target) throw new Error('the replay port is already connected');
      target = server;
    },
  };
}

export type ReplayPort = ReturnType<typeof createReplayPort>;
