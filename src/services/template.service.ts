import { randomUUID } from 'node:crypto';
import { IsNull } from 'typeorm';
import { z } from 'zod';
import type { Viewer } from '../auth/viewer.js';
import { entityTag, templateTag } from '../cache/invalidation/tags.js';
import {
  MessageTemplate,
  TEMPLATE_TYPES,
  type TemplateType,
} from '../db/entities/message-template.entity.js';
import { User } from '../db/entities/user.entity.js';
import { badInput, notFound } from '../errors/errors.js';
import { limitExceeded } from '../errors/limit-errors.js';
import { id, name, parseInput } from '../validation.js';
import { requireTenant } from './access.js';
import type { ServiceDeps } from './deps.js';

/** The shape every template has, stored or built in. */
export interface TemplateView {
  id: string;
  type: TemplateType;
  name: string;
  body: string;
}

const BUILT_IN_PREFIX = 'builtin:';

/** Used when neither the user nor the tenant has a template of that type. */
const builtInList: Record<TemplateType, TemplateView> = {
  APPOINTMENT_CONFIRMATION: {
    id: `${BUILT_IN_PREFIX}APPOINTMENT_CONFIRMATION`,
    type: 'APPOINTMENT_CONFIRMATION',
    name: 'Appointment confirmation',
    body: 'Hi {{client_name}}, your appointment with {{provider_name}} on {{date}} at {{time}} is confirmed.',
  },
  APPOINTMENT_REMINDER: {
    id: `${BUILT_IN_PREFIX}APPOINTMENT_REMINDER`,
    type: 'APPOINTMENT_REMINDER',
    name: 'Appointment reminder',
    body: 'Hi {{client_name}}, a reminder of your appointment with {{provider_name}} on {{date}} at {{time}}.',
  },
  APPOINTMENT_CANCELLATION: {
    id: `${BUILT_IN_PREFIX}APPOINTMENT_CANCELLATION`,
    type: 'APPOINTMENT_CANCELLATION',
    name: 'Appointment cancellation',
    body: 'Hi {{client_name}}, your appointment with {{provider_name}} on {{date}} at {{time}} was cancelled.',
  },
  WELCOME: {
    id: `${BUILT_IN_PREFIX}WELCOME`,
    type: 'WELCOME',
    name: 'Welcome',
    body: 'Welcome, {{client_name}}! {{provider_name}} is glad to have you.',
  },
};

/** A Map, because a client's string picks the entry (`builtin:__proto__` must find nothing). */
export const builtInTemplates: ReadonlyMap<string, TemplateView> = new Map(
  Object.values(builtInList).map((t) => [t.type, t]),
);

const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Names of the {{variables}} a body uses, each once, in order of first use. */
export function templateVariables(body: string): string[] {
  return [...new Set(Array.from(body.matchAll(VARIABLE), (m) => m[1]))];
}

const scalarValue = z.union([z.string(), z.number(), z.boolean()], {
  error: 'must be a string, number or boolean',
});
const renderVariables = z.record(z.string(), scalarValue, {
  error: 'must be an object of variable names to values',
});

/**
 * Fills every {{name}}; names a missing variable instead of leaving a hole in the message.
 * The size is known before the message is built: one larger than `maxBytes` is refused.
 */
export function renderTemplate(
  body: string,
  variables: unknown,
  maxBytes = Number.POSITIVE_INFINITY,
): string {
  const parsed = parseInput(renderVariables, variables, 'variables');
  const values = new Map(
    Object.entries(parsed).map(([k, v]) => [k, { text: String(v), bytes: 0 }]),
  );
  const missing = templateVariables(body).filter((v) => !values.has(v));
  if (missing.length > 0) throw badInput('variables', `missing ${missing.join(', ')}`);
  for (const value of values.values()) value.bytes = Buffer.byteLength(value.text);
  let bytes = Buffer.byteLength(body);
  for (const match of body.matchAll(VARIABLE)) {
    bytes += (values.get(match[1])?.bytes ?? 0) - Buffer.byteLength(match[0]);
  }
  if (bytes > maxBytes) throw limitExceeded('renderBytes', maxBytes, bytes);
  return body.replace(VARIABLE, (_, v: string) => values.get(v)?.text ?? '');
}

const upsertInput = z.object({
  userId: id.nullish(),
  type: z.enum(TEMPLATE_TYPES),
  name,
  body: z.string().trim().min(1, 'must not be empty').max(4000, 'must be at most 4000 characters'),
});

const isUniqueViolation = (error: unknown) =>
  /unique|duplicate key/i.test(String((error as Error)?.message ?? ''));

export class TemplateService {
  constructor(private readonly deps: ServiceDeps) {}

  async byType(viewer: Viewer, userId: string, type: TemplateType): Promise<TemplateView> {
    const { tenantId } = requireTenant(viewer);
    if (!(await this.deps.db.getRepository(User).existsBy({ id: userId, tenantId }))) {
      throw notFound('User', userId);
    }
    const rows = await this.deps.db.getRepository(MessageTemplate).find({
      where: [
        { tenantId, type, userId },
        { tenantId, type, userId: IsNull() },
      ],
    });
    return (
      rows.find((t) => t.userId === userId) ??
      rows[0] ??
      (builtInTemplates.get(type) as TemplateView)
    );
  }

  async render(viewer: Viewer, userId: string, type: TemplateType, variables: unknown) {
    const template = await this.byType(viewer, userId, type);
    return { template, text: renderTemplate(template.body, variables, this.deps.maxRenderBytes) };
  }

  /** Built-in ids (`builtin:<TYPE>`) answer too, so any template a field returned can be re-read. */
  builtInById(templateId: string): TemplateView | null {
    if (!templateId.startsWith(BUILT_IN_PREFIX)) return null;
    return builtInTemplates.get(templateId.slice(BUILT_IN_PREFIX.length)) ?? null;
  }

  async upsert(viewer: Viewer, args: z.input<typeof upsertInput>) {
    const { tenantId } = requireTenant(viewer);
    const input = parseInput(upsertInput, args);
    const write = () =>
      this.deps.cache.transaction(async (em, invalidate) => {
        const userId = input.userId ?? null;
        if (userId && !(await em.existsBy(User, { id: userId, tenantId }))) {
          throw notFound('User', userId);
        }
        const existing = await em.findOneBy(MessageTemplate, {
          tenantId,
          type: input.type,
          userId: userId ?? IsNull(),
        });
        const row =
          existing ??
          em.create(MessageTemplate, { id: randomUUID(), tenantId, userId, type: input.type });
        const template = await em.save(
          Object.assign(row, { name: input.name, body: input.body, updatedAt: this.deps.clock() }),
        );
        invalidate(tenantId, [templateTag(tenantId), entityTag('MessageTemplate', template.id)]);
        return template;
      });
    // Two first writes of the same template race to insert; the loser updates the winner's row.
    return write().catch((error) => (isUniqueViolation(error) ? write() : Promise.reject(error)));
  }
}
