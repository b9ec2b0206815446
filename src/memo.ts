/**
 * Remembers `compute(input)` for up to `max` distinct inputs of at most `maxLength` characters
 * (longer ones are computed every time), dropping the oldest first. For what clients send over
 * and over (documents, request bodies, Accept headers): the work is done once per distinct
 * value, and the memory stays bounded whatever they send.
 */
export function memoize<T>(
  compute: (input: string) => T,
  { max = 1_000, maxLength = 16_384 }: { max?: number; maxLength?: number } = {},
): (input: string) => T {
  const remembered = new Map<string, T>();
  return (input) => {
    const known = remembered.get(input);
    if (known !== undefined || remembered.has(input)) return known as T;
    const value = compute(input);
    if (input.length <= maxLength) {
      if (remembered.size >= max) remembered.delete(remembered.keys().next().value as string);
      remembered.set(input, value);
    }
    return value;
  };
}
