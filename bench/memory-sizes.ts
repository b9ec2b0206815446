/**
 * How the memory bounds size their entries (README: Memory bounds), measured:
 *   node --expose-gc --import tsx bench/memory-sizes.ts
 * - a memory-store entry: heap + array buffers before and after saving 20,000 small entries,
 *   next to what sizeOf counts for them (memory-store.ts);
 * - a parsed document: heap before and after parsing 5,000 documents of each shape, per token
 *   and per character of text, next to documentBytes (parse-cache.ts);
 * - a live group's bookkeeping: heap before and after 20,000 groups as the hub holds them (key,
 *   digest, expiry timer, one stream, two tags in the index), bodies made beforehand, next to
 *   GROUP_BYTES (live-config.ts);
 * - a query compiled by graphql-jit: heap before and after compiling 300 parsed documents of
 *   each query shape against the app's schema, next to what use-jit.ts counts for it
 *   (JIT_FIXED_BYTES and JIT_BYTES_PER_FIELD per field once fragments are spread), and the CPU
 *   a compilation takes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import 'reflect-metadata';
import { parse } from 'graphql';
import { compileQuery } from 'graphql-jit';
import { createMemoryStore } from '../src/cache/store/memory-store.js';
import { createTagIndex, newGroup, type Stream } from '../src/live/group.js';
import { GROUP_BYTES } from '../src/live/live-config.js';
import { schema } from '../src/schema/index.js';
import { WARM_DOCUMENTS } from '../src/warming/warming.js';
import { documentBytes } from '../src/yoga/parse-cache.js';
import { JIT_BYTES_PER_FIELD, JIT_FIXED_BYTES, spreadFields } from '../src/yoga/use-jit.js';

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

{
  // First, on a quiet heap; the heap alone is measured (a group holds no buffers).
  const heap = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const n = 20_000;
  const index = createTagIndex();
  const groups = new Map<string, unknown>();
  const viewer = { kind: 'tenant', tenantId: randomUUID(), role: 'MEMBER' } as never;
  const bodies = Array.from({ length: n }, (_, i) => `{"query":"q${i}"}`);
  const digests = Array.from({ length: n }, () => randomBytes(32).toString('base64url'));
  const keys = Array.from(
    { length: n },
    () => `${randomUUID()}\0${randomBytes(32).toString('base64url')}`,
  );
  keep.push(index, groups, bodies, digests, keys);
  const before = heap();
  for (let i = 0; i < n; i++) {
    const group = newGroup({
      key: keys[i],
      scope: 'scope',
      viewer,
      body: bodies[i],
      throttleMs: 0,
      cost: null,
    });
    group.result = digests[i];
    group.expiry = setTimeout(() => {}, 1e7);
    group.expiry.unref();
    group.streams.add({ group } as unknown as Stream);
    index.set(group, [`ServiceList:u${i}`, 'ServiceList']);
    groups.set(keys[i], group);
  }
  const measured = (heap() - before) / n;
  console.log(
    `live group, one stream, two tags: ${measured.toFixed(0)} bytes of bookkeeping measured, ` +
      `${GROUP_BYTES} counted (and its body, its result)`,
  );
}

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
const queries: Record<string, string> = {
  'a user by id': 'query($u: ID!) { user(id: $u) { id } }',
  agenda: WARM_DOCUMENTS.agenda,
  'agenda ×25 (aliases)': `query($u: ID!, $d: Date!) { ${Array.from(
    { length: 25 },
    (_, k) =>
      `a${k}: agenda(userId: $u, date: $d) { id appointments { id clientName startsAt status service { id name priceCents } } }`,
  ).join(' ')} }`,
  'one fragment in 30 aliases': `fragment F on Appointment { id clientName startsAt endsAt status
    service { id name priceCents active durationMinutes } }
    query($u: ID!, $d: Date!) { ${Array.from(
      { length: 30 },
      (_, k) => `a${k}: agenda(userId: $u, date: $d) { id appointments { ...F } }`,
    ).join(' ')} }`,
};
for (const [name, text] of Object.entries(queries)) {
  const n = 100;
  const documents = Array.from({ length: n }, () => parse(text));
  keep.push(documents);
  const before = used();
  const startedAt = performance.now();
  const compiled = documents.map((document) => compileQuery(schema, document));
  const ms = (performance.now() - startedAt) / n;
  const measured = (used() - before) / n;
  keep.push(compiled);
  const fields = spreadFields(documents[0], Number.POSITIVE_INFINITY);
  console.log(
    `compiled ${name}: ${fields} selections: ${measured.toFixed(0)} bytes measured, ` +
      `${JIT_FIXED_BYTES + fields * JIT_BYTES_PER_FIELD} counted (besides the document), ` +
      `${ms.toFixed(2)} ms to compile`,
  );
}
void keep;
