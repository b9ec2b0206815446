import { LoadableObjectRef } from '@pothos/plugin-dataloader';
import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { Context } from '../context.js';
import { notFound } from '../errors/errors.js';
import { requireTenant } from '../services/access.js';
import { builder } from './builder.js';

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

/**
 * A request loader of the caller's tenant's rows: `load(db, tenantId, keys)` answers in the
 * keys' order (src/loaders: inKeyOrder, groupedByKeys).
 */
export function tenantLoader<K, V>(
  load: (db: DataSource, tenantId: string, keys: K[]) => Promise<(V | Error)[]>,
): (context: Context) => DataLoader<K, V> {
  return requestLoader((keys, context) =>
    load(context.db, requireTenant(context.viewer).tenantId, keys),
  );
}

/**
 * An object type whose fields may return its id: @pothos/plugin-dataloader loads it through
 * `getDataloader`, which this sets as the type's `extensions.getDataloader`, where the plugin
 * reads it (as its own ImplementableLoadableObjectRef does). Implement it with
 * `builder.objectType(ref, …)`.
 */
export function loadableRef<Shape>(
  name: string,
  getDataloader: (context: Context) => DataLoader<string, Shape | null>,
) {
  const ref = new LoadableObjectRef<Types, Shape | string, Shape, string, string>(
    name,
    getDataloader as (context: Context) => DataLoader<string, Shape, string>,
  );
  builder.configStore.onTypeConfig(ref, (config) => {
    config.extensions = { ...config.extensions, getDataloader };
  });
  return ref;
}

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
