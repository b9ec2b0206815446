import { randomBytes } from 'node:crypto';

// Large cacheable responses that gzip can't shrink much: renderTemplate of a template with 500
// placeholders, each filled with random text (16,000 bytes, within LIMIT_RENDER_BYTES), 30
// times (LIMIT_ALIASES) in one query, each alias with its own values: about 480 KB of JSON
// that gzips to about 360 KB.

const VARIABLES = Array.from({ length: 500 }, (_, i) => `a${i}`);

/** A template body of 3,890 characters (the limit is 4,000). */
export const LARGE_TEMPLATE_BODY = VARIABLES.map((v) => `{{${v}}}`).join('');

export const LARGE_RENDERS = `query Large($u: ID!, ${Array.from({ length: 30 }, (_, i) => `$v${i}: JSON!`).join(', ')}) { ${Array.from(
  { length: 30 },
  (_, i) => `r${i}: renderTemplate(userId: $u, type: WELCOME, variables: $v${i}) { text }`,
).join(' ')} }`;

/** Fresh random values for LARGE_RENDERS: every call gives a distinct request and body. */
export function largeRenderVariables(userId: string): Record<string, unknown> {
  const variables: Record<string, unknown> = { u: userId };
  for (let i = 0; i < 30; i++) {
    const random = randomBytes(500 * 24).toString('base64');
    variables[`v${i}`] = Object.fromEntries(
      VARIABLES.map((v, k) => [v, random.slice(k * 32, k * 32 + 32)]),
    );
  }
  return variables;
}
