/** Puts rows in the order of the keys that asked for them; a missing row is null. */
export function inKeyOrder<T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string) {
  const byKey = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => byKey.get(key) ?? null);
}

/** Groups rows under the keys that asked for them; a key with no rows gets []. */
export function groupedByKeys<T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string) {
  const groups = new Map<string, T[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((key) => groups.get(key) ?? []);
}
