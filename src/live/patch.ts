/** One RFC 6902 JSON Patch operation, as much of it as a result's change needs. */
export type PatchOperation =
  | { op: 'add' | 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A JSON Pointer segment (RFC 6901): `~` and `/` escaped. */
const segment = (key: string | number) => String(key).replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The JSON Patch that turns `before` into `after` (both JSON values): objects key by key,
 * arrays index by index (a shorter one loses its tail, removed from the end so each index is
 * still valid when applied), anything else replaced when it differs. Linear in the two values.
 */
export function jsonPatch(before: unknown, after: unknown, path = ''): PatchOperation[] {
  const ops: PatchOperation[] = [];
  diff(before, after, path, ops);
  return ops;
}

function diff(before: unknown, after: unknown, path: string, ops: PatchOperation[]) {
  if (before === after) return;
  if (Array.isArray(before) && Array.isArray(after)) {
    const shared = Math.min(before.length, after.length);
    for (let i = 0; i < shared; i++) diff(before[i], after[i], `${path}/${i}`, ops);
    for (let i = before.length - 1; i >= after.length; i--)
      ops.push({ op: 'remove', path: `${path}/${i}` });
    for (let i = before.length; i < after.length; i++) {
      ops.push({ op: 'add', path: `${path}/${i}`, value: after[i] });
    }
    return;
  }
  if (isObject(before) && isObject(after)) {
    for (const key of Object.keys(before)) {
      if (!Object.hasOwn(after, key)) ops.push({ op: 'remove', path: `${path}/${segment(key)}` });
    }
    for (const [key, value] of Object.entries(after)) {
      const at = `${path}/${segment(key)}`;
      if (Object.hasOwn(before, key)) diff(before[key], value, at, ops);
      else ops.push({ op: 'add', path: at, value });
    }
    return;
  }
  ops.push({ op: 'replace', path, value: after });
}
