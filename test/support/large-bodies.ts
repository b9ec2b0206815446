import { randomBytes } from 'node:crypto';

// Large cacheable responses that gzip can't shrink much: renderTemplate of a template with 50
// placeholders, each filled with 320 characters of random text (16,000 bytes, within
// LIMIT_RENDER_BYTES), 30 times (LIMIT_ALIASES) in one query, each alias with its own values:
// about 480 KB of JSON that gzips to about 360 KB. Few placeholders keep the server's work per
// byte small (the variables are validated one by one).

const VARIABLES = Array.from({ length: 50 }, (_, i) => `a${i}`);

/** The template's body: 50 placeholders. */
export const LARGE_TEMPLATE_BODY = VARIABLES.map((v) => `{{${v}}}`).join('');

export const LARGE_RENDERS = `query Large($u: ID!, ${Array.from({ length: 30 }, (_, i) => `$v${i}: JSON!`).join(', ')}) { ${Array.from(
  { length: 30 },
  (_, i) => `r${i}: renderTemplate(userId: $u, type: WELCOME, variables: $v${i}) { text }`,
).join(' ')} }`;

/** Fresh random values for LARGE_RENDERS: every call gives a distinct request and body. */
export function largeRenderVariables(userId: string): Record<string, unknown> {
  const variables: Record<string, unknown> = { u: userId };
  for (let i = 0; i < 30; i++) {
    const random = randomBytes(50 * 240).toString('base64');
    variables[`v${i}`] = Object.fromEntries(
      VARIABLES.map((v, k) => [v, random.slice(k * 320, k * 320 + 320)]),
    );
  }
  return variables;
}
