import type DataLoader from 'dataloader';
import type { Context } from '../context.js';
import { notFound } from '../errors/errors.js';
import { requireTenant } from '../services/access.js';

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
