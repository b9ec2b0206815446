import { LoadableObjectRef } from '@pothos/plugin-dataloader';
import DataLoader from 'dataloader';
import type { Context } from '../context.js';
import { notFound } from '../errors/errors.js';
import { requireTenant } from '../services/access.js';
import type { builder } from './builder.js';

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** A batch function: the values of `keys`, in their order. */
type Batch<K, V> = (keys: K[], context: Context) => Promise<(V | Error)[]>;

/**
 * A request's DataLoader for `batch`, made on first use and kept on the request's context
 * under a symbol of this loader's own. @pothos/plugin-dataloader keeps its loaders (those of
 * `loadableObject`, `loadableList`, `loadableGroup`) in WeakMaps keyed by the context; V8
 * clears a WeakMap's entries only in a full collection, and until then the young generation's
 * collections keep each value alive: every request's loaders, their batches and the rows they
 * resolved were promoted to the old generation (about 2 MB per scavenge in an in-process miss
 * loop, against 16 KB this way; README: Where a miss's garbage collection comes from). A
 * property of the context goes with the context.
 */
export function requestLoader<K, V>(batch: Batch<K, V>): (context: Context) => DataLoader<K, V> {
  const slot = Symbol('hotpath.loader');
  return (context) => {
    const held = (context as unknown as { [slot]?: DataLoader<K, V> })[slot];
    if (held) return held;
    const loader = new DataLoader<K, V>((keys) => batch(keys as K[], context));
    Object.defineProperty(context, slot, { value: loader });
    return loader;
  };
}

/** `load`'s rows matched to the keys by `toKey` (null for a key without one), as plugin-dataloader's `toKey` does. */
export function byKey<K, V>(
  load: (keys: K[], context: Context) => Promise<(V | null)[]>,
  toKey: (value: V) => K,
): Batch<K, V | null> {
  return async (keys, context) => {
    const found = new Map<K, V>();
    for (const value of await load(keys, context))
      if (value != null) found.set(toKey(value), value);
    return keys.map((key) => found.get(key) ?? null);
  };
}

/** `load`'s rows grouped by `group` into one list per key, as `loadableGroup` does. */
export function groupedBy<K, V>(
  load: (keys: K[], context: Context) => Promise<V[]>,
  group: (value: V) => K,
): Batch<K, V[]> {
  return async (keys, context) => {
    const groups = new Map<K, V[]>();
    for (const value of await load(keys, context)) {
      const key = group(value);
      const list = groups.get(key);
      if (list) list.push(value);
      else groups.set(key, [value]);
    }
    return keys.map((key) => groups.get(key) ?? []);
  };
}

/**
 * An object type whose fields may return its id: @pothos/plugin-dataloader loads it through
 * `getDataloader` (the type's `extensions`, as the plugin's own refs set them; see loadedBy).
 */
export function loadableRef<Shape>(
  name: string,
  getDataloader: (context: Context) => DataLoader<string, Shape | null>,
) {
  return new LoadableObjectRef<Types, Shape | string, Shape, string, string>(
    name,
    getDataloader as (context: Context) => DataLoader<string, Shape, string>,
  );
}

/** The `extensions` that make the plugin load a loadableRef's ids through its loader. */
export const loadedBy = (ref: { getDataloader: unknown }) => ({
  getDataloader: ref.getDataloader,
});

interface LoadableRef<T> {
  getDataloader(context: Context): DataLoader<string, T | null>;
}

/** Loads through the request's DataLoader; missing and other tenants' ids are both NOT_FOUND. */
export async function loadOrNotFound<T>(
  ref: LoadableRef<T>,
  context: Context,
  typename: string,
  id: string,
): Promise<T> {
  requireTenant(context.viewer);
  const row = await ref.getDataloader(context).load(id);
  if (row == null) throw notFound(typename, id);
  return row;
}
