import { templateTag } from '../cache/invalidation/tags.js';
import { TEMPLATE_TYPES } from '../db/entities/message-template.entity.js';
import { loadTemplates } from '../loaders/template.loader.js';
import { requireTenant } from '../services/access.js';
import { type TemplateView, templateVariables } from '../services/template.service.js';
import { builder } from './builder.js';
import { loadableRef, loadOrNotFound, requestLoader } from './loading.js';

export const TemplateTypeEnum = builder.enumType('TemplateType', {
  description: 'What a message is for; each type has a built-in template.',
  values: TEMPLATE_TYPES,
});

export const MessageTemplateRef = loadableRef<TemplateView>(
  'MessageTemplate',
  requestLoader(async (ids: string[], ctx): Promise<(TemplateView | null)[]> => {
    const { tenantId } = requireTenant(ctx.viewer);
    const stored = ids.filter((id) => !ctx.services.templates.builtInById(id));
    const rows = stored.length > 0 ? await loadTemplates(ctx.db, tenantId, stored) : [];
    return ids.map(
      (id) => ctx.services.templates.builtInById(id) ?? rows[stored.indexOf(id)] ?? null,
    );
  }),
);

builder.objectType(MessageTemplateRef, {
  description: "A message with {{variables}}. Built-in templates have ids 'builtin:<TYPE>'.",
  fields: (t) => ({
    id: t.exposeID('id', { description: "A stored template's id, or 'builtin:<TYPE>'." }),
    type: t.field({
      type: TemplateTypeEnum,
      description: 'What the message is for.',
      resolve: (tpl) => tpl.type,
    }),
    name: t.exposeString('name', { description: '1 to 200 characters.' }),
    body: t.exposeString('body', {
      description: 'The text with {{variables}}; up to 4000 characters.',
    }),
    variables: t.stringList({
      description: 'Names of the {{variables}} that body uses.',
      resolve: (tpl) => templateVariables(tpl.body),
    }),
  }),
});

const RenderedMessageRef = builder
  .objectRef<{ template: TemplateView; text: string }>('RenderedMessage')
  .implement({
    description: 'A template with its variables filled in.',
    fields: (t) => ({
      template: t.field({
        type: MessageTemplateRef,
        description: "The one templateByType picks: the user's, the tenant's default or built-in.",
        resolve: (m) => m.template,
      }),
      text: t.exposeString('text', { description: 'The body with every {{variable}} replaced.' }),
    }),
  });

const UpsertTemplateInput = builder.inputType('UpsertTemplateInput', {
  description: "userId null: the tenant's default for that type.",
  fields: (t) => ({
    userId: t.id({
      description:
        "The user's own template; omitted: the tenant's default. NOT_FOUND for another " +
        "tenant's user.",
    }),
    type: t.field({
      type: TemplateTypeEnum,
      required: true,
      description: 'Replaces the template of this type and userId, if there is one.',
    }),
    name: t.string({ required: true, description: '1 to 200 characters.' }),
    body: t.string({ required: true, description: 'Up to 4000 characters.' }),
  }),
});

builder.queryFields((t) => ({
  template: t.field({
    type: MessageTemplateRef,
    nullable: true,
    description:
      "A template of the caller's tenant, or a built-in one by 'builtin:<TYPE>'. null only with " +
      "a NOT_FOUND error (a missing id or another tenant's).",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) =>
      loadOrNotFound(MessageTemplateRef, ctx, 'MessageTemplate', String(args.id)),
  }),
  templateByType: t.field({
    type: MessageTemplateRef,
    nullable: true,
    description:
      "The user's own template of that type, else the tenant's default (no userId), " +
      'else the built-in one.',
    args: {
      userId: t.arg.id({ required: true }),
      type: t.arg({ type: TemplateTypeEnum, required: true }),
    },
    resolve: (_, args, ctx) => {
      ctx.cache?.tag(templateTag(requireTenant(ctx.viewer).tenantId));
      return ctx.services.templates.byType(ctx.viewer, String(args.userId), args.type);
    },
  }),
  renderTemplate: t.field({
    type: RenderedMessageRef,
    description:
      'templateByType with its {{variables}} filled in; BAD_USER_INPUT names any that are missing.',
    args: {
      userId: t.arg.id({ required: true }),
      type: t.arg({ type: TemplateTypeEnum, required: true }),
      variables: t.arg({ type: 'JSON', required: true }),
    },
    resolve: (_, args, ctx) => {
      ctx.cache?.tag(templateTag(requireTenant(ctx.viewer).tenantId));
      return ctx.services.templates.render(
        ctx.viewer,
        String(args.userId),
        args.type,
        args.variables,
      );
    },
  }),
}));

builder.mutationFields((t) => ({
  upsertTemplate: t.field({
    type: MessageTemplateRef,
    description:
      "Creates or replaces the template of (userId, type). Invalidates the tenant's cached " +
      'templateByType and renderTemplate answers, and responses showing this template.',
    args: { input: t.arg({ type: UpsertTemplateInput, required: true }) },
    resolve: (_, { input }, ctx) => ctx.services.templates.upsert(ctx.viewer, input),
  }),
}));
