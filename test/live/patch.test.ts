import { describe, expect, it } from 'vitest';
import { jsonPatch } from '../../src/live/patch.js';
import { applyPatch } from './sse.js';

describe('jsonPatch', () => {
  const cases: [string, unknown, unknown][] = [
    ['a changed field', { a: 1, b: { c: 'x' } }, { a: 1, b: { c: 'y' } }],
    ['added and removed keys', { a: 1, gone: true }, { a: 1, added: [1, 2] }],
    ['a longer list', { l: [1, 2] }, { l: [1, 2, 3, 4] }],
    ['a shorter list', { l: [{ id: 1 }, { id: 2 }, { id: 3 }] }, { l: [{ id: 1 }] }],
    ['keys to escape', { 'a/b': 1, 'c~d': 1 }, { 'a/b': 2, 'c~d': 3 }],
    ['null and types', { a: null, b: [1], c: 'x' }, { a: { x: 1 }, b: 'now a string', c: null }],
    ['inherited names are plain keys', {}, { constructor: 1, toString: 2 }],
  ];
  it.each(cases)('%s: applying the patch gives the new value', (_, before, after) => {
    expect(applyPatch(before, jsonPatch(before, after))).toEqual(after);
  });

  it('says only what changed', () => {
    const before = { data: { services: [{ id: 's1', priceCents: 100 }, { id: 's2' }] } };
    const after = { data: { services: [{ id: 's1', priceCents: 200 }] } };
    expect(jsonPatch(before, after)).toEqual([
      { op: 'replace', path: '/data/services/0/priceCents', value: 200 },
      { op: 'remove', path: '/data/services/1' },
    ]);
    expect(jsonPatch(after, after)).toEqual([]);
  });
});
