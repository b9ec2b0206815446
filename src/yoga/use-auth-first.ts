import type { Plugin } from 'graphql-yoga';
import {
  isGraphQLUrl,
  isJsonType,
  unauthenticatedAnswer,
  unsupportedMediaTypeAnswer,
} from '../auth/auth-first.js';
import type { RequestAuth } from '../auth/request-auth.js';

const toResponse = (answer: { status: number; headers: Record<string, string>; body: string }) =>
  new Response(answer.body, { status: answer.status, headers: answer.headers });

/**
 * The same rule on Yoga's path: its onRequest runs before the request is parsed (and after
 * Yoga's CORS preflight, health check and GraphiQL page, and the operations routes, which need
 * no key). It refuses strangers on every URL that reaches it, since Yoga serves GraphQL on more
 * than `/graphql` (see isGraphQLUrl); an unknown URL answers 401 to them instead of 404.
 * In-process requests that act as a tenant (warming, refreshes) carry their viewer and pass.
 *
 * Authentication comes before the 415: a stranger learns nothing about what is accepted, and
 * neither check needs the body.
 */
export function useAuthFirst(auth: RequestAuth): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      if (request.method === 'OPTIONS') return;
      if (!(await auth.viewerOf(request))) {
        endResponse(toResponse(unauthenticatedAnswer(request.headers.get('authorization'))));
        return;
      }
      if (
        request.method === 'POST' &&
        isGraphQLUrl(request, url) &&
        !isJsonType(request.headers.get('content-type'))
      ) {
        endResponse(toResponse(unsupportedMediaTypeAnswer()));
      }
    },
  };
}
