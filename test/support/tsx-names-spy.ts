/**
 * Imported first by tsx-names-probe.ts, before any module of the app is evaluated: esbuild's
 * keepNames helper (`__name`) takes `Object.defineProperty` when each module is evaluated, so
 * the spy must be in place by then. Records, while `namings.list` is an array, every function
 * that helper names in this repository's own modules, and where it was made.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const namings: { list: string[] | null } = { list: null };
const defineProperty = Object.defineProperty;
Object.defineProperty = function spy<T>(
  target: T,
  key: PropertyKey,
  attributes: PropertyDescriptor & ThisType<unknown>,
): T {
  if (namings.list && key === 'name' && typeof target === 'function') {
    // [1] is this spy, [2] its caller: esbuild's `__name` helper in a module of this
    // repository's own (tsx transforms no dependency), [3] where that closure was made.
    const frames = (new Error().stack ?? '').split('\n');
    const helper = frames[2] ?? '';
    if (helper.includes(ROOT) && !helper.includes('node_modules')) {
      const at = (frames[3] ?? '')
        .trim()
        .replace(/file:\/\//, '')
        .replace(`${ROOT}/`, '');
      namings.list.push(`${String(attributes.value)} ${at}`);
    }
  }
  return defineProperty(target, key, attributes);
};
