import { z } from 'zod';
import { badInput } from './errors/errors.js';
import { isValidTimeZone } from './time.js';

/**
 * Parses service input with a zod schema; the first problem becomes a BAD_USER_INPUT error
 * whose message starts with the field's path (`input.name: ...`).
 */
export function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  root = 'input',
): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = [root, ...issue.path.map(String)].filter(Boolean).join('.');
  throw badInput(path, issue.message);
}

export const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters');
export const id = z.string().min(1, 'must not be empty').max(64, 'is not a valid id');
export const timeZone = z.string().refine(isValidTimeZone, 'is not a known IANA time zone');
export const calendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD')
  .refine(
    (d) =>
      !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) &&
      new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    'is not a valid date',
  );
export const instant = z.date().refine((d) => !Number.isNaN(d.getTime()), 'is not a valid instant');

/** GraphQL optional inputs arrive as null or absent; both mean "leave as is". */
export type Nullable<T> = { [K in keyof T]?: T[K] | null };
export function withoutNulls<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v != null)) as Partial<T>;
}
