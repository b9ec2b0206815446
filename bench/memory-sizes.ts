/**
 * How the memory bounds size their entries (README: Memory bounds), measured:
 *   node --expose-gc --import tsx bench/memory-sizes.ts
 * - a memory-store entry: heap + array buffers before and after saving 20,000 small entries,
 *   next to what sizeOf counts for them (memory-store.ts);
 * - a parsed document: heap before and after parsing 5,000 documents of each shape, per token
 *   and per character of text, next to documentBytes (parse-cache.ts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parse } from 'graphql';
import { createMemoryStore } from '../src/cache/store/memory-store.js';
import { documentBytes } from '../src/yoga/parse-cache.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const used = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
// Inputs stay referenced until the end, so only what the structures add is measured.
const keep: unknown[] = [];

for (const tagCount of [3, 6]) {
  const store = createMemoryStore({ maxEntries: 1e6, maxBytes: 1e12 });
  const scope = randomUUID();
  const n = 20_000;
  const bodies = Array.from(
    { length: n },
    (_, i) => `{"data":{"user":{"id":"${i}","name":"${randomBytes(30).toString('hex')}"}}}`,
  );
  const keys = Array.from({ length: n }, () => randomBytes(32).toString('base64url'));
  const tags = Array.from({ length: n }, (_, i) =>
    Array.from({ length: tagCount }, (_, t) =>
      t === 0 ? `User:${scope.slice(0, 8)}-${i}` : `Agenda:u${i}:2026-11-${10 + t}`,
    ),
  );
  keep.push(store, bodies, keys, tags);
  const before = used();
  for (let i = 0; i < n; i++) {
    await store.save(scope, keys[i], {
      body: bodies[i],
      tags: tags[i],
      ttlMs: 60_000,
      seenSeq: 0,
      seenEpoch: 0,
    });
  }
  const measured = (used() - before) / n;
  console.log(
    `memory store, ${tagCount} tags, ${bodies[0].length}-byte bodies: ` +
      `${measured.toFixed(0)} bytes an entry measured, ${(store.bytes() / n).toFixed(0)} counted`,
  );
}

const shapes: Record<string, (i: number) => string> = {
  small: (i) => `query Q${i}($u: ID!) { user(id: $u) { id name services { id name } } }`,
  wide: (i) =>
    `query W${i} { ${Array.from({ length: 60 }, (_, k) => `f${k}: user(id: "${i}-${k}") { id }`).join(' ')} }`,
  dense: (i) => `{ u${i} ${'a '.repeat(300)}}`,
  longNames: (i) =>
    `query L${i} { ${Array.from({ length: 20 }, (_, k) => `aVeryLongAliasName${k}: user(id: "${'x'.repeat(80)}${i}") { id name }`).join(' ')} }`,
};
for (const [name, make] of Object.entries(shapes)) {
  const n = 5_000;
  const texts = Array.from({ length: n }, (_, i) => make(i));
  keep.push(texts);
  const before = used();
  const documents = texts.map((text) => parse(text));
  const measured = (used() - before) / n;
  keep.push(documents);
  let tokens = 0;
  for (let t = documents[0].loc?.startToken ?? null; t; t = t.next) tokens++;
  console.log(
    `parsed ${name}: ${texts[0].length} characters, ${tokens} tokens: ${measured.toFixed(0)} ` +
      `bytes measured (${(measured / tokens).toFixed(0)} a token, ` +
      `${(measured / texts[0].length).toFixed(0)}× the text), ` +
      `${documentBytes(texts[0], documents[0])} counted`,
  );
}
void keep;
