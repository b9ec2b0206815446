import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { ByteBudget } from '../cache/stats/bounds.js';

/**
 * What a parsed document costs in the heap. Yoga parses with locations, so a document keeps
 * every token (a linked list) besides its nodes: measured by bench/memory-sizes.ts (heap before
 * and after parsing 5,000 documents, graphql 16) at 270 to 480 bytes a token, 28 to 240 times
 * the text's length (a short agenda query: 55 tokens, 17 KB). Sized by its tokens, rounded up.
 */
export const BYTES_PER_TOKEN = 480;

/** The bytes a parsed document is counted for: its tokens, its text and a fixed part. */
export function documentBytes(text: string, document: DocumentNode): number {
  let tokens = 0;
  for (let token = document.loc?.startToken ?? null; token; token = token.next) tokens++;
  // Parsed without locations: count one token per two characters, about the densest text.
  if (tokens === 0) tokens = Math.ceil(text.length / 2);
  return 512 + 2 * text.length + BYTES_PER_TOKEN * tokens;
}

export interface ParseCacheOptions {
  /** PARSE_CACHE_MAX_BYTES: what the parsed documents may hold together (0: none kept). */
  maxBytes: number;
  /** PARSE_CACHE_MAX_TEXT_BYTES: longer texts are parsed every time, never kept. */
  maxTextBytes: number;
  /** Reports the bytes, evictions and refusals (hotpath_memory_*{structure="parse_cache"}). */
  budget: ByteBudget;
}

/**
 * The `documentCache` and `errorCache` Yoga's parser cache takes (parserAndValidationCache),
 * bounded in bytes instead of Yoga's 1,024 entries of any size for an hour:
 * - a document whose text is longer than maxTextBytes is never kept: a client that sends
 *   large documents pays their parse each time, and the process keeps nothing of them;
 * - the documents kept are sized by their tokens (documentBytes) and the least recently used
 *   go first;
 * - parse errors (syntax, LIMIT_TOKENS) are not kept at all: parsing stops at the first error
 *   or at the token limit, so a failing text costs little to parse again, and an attacker's
 *   texts leave nothing behind.
 */
export function createParseCache(options: ParseCacheOptions) {
  const { budget } = options;
  const documents =
    options.maxBytes > 0
      ? new LRUCache<string, DocumentNode>({
          maxSize: options.maxBytes,
          sizeCalculation: (document, text) => documentBytes(text, document),
          dispose: (_value, _key, reason) => {
            if (reason === 'evict') budget.evictions++;
          },
        })
      : null;
  budget.reader = () => documents?.calculatedSize ?? 0;
  return {
    documentCache: {
      get: (text: string) => documents?.get(text),
      set(text: string, document: DocumentNode) {
        if (!documents) return;
        if (
          text.length > options.maxTextBytes ||
          documentBytes(text, document) > options.maxBytes
        ) {
          budget.refusals++;
          return;
        }
        documents.set(text, document);
      },
    },
    errorCache: {
      get: (_text: string): unknown => undefined,
      set(_text: string, _error: unknown) {},
    },
  };
}

export type ParseCache = ReturnType<typeof createParseCache>;
