import type { ApiKey } from '../db/entities/api-key.entity.js';
import type { Tenant } from '../db/entities/tenant.entity.js';
import { builder } from './builder.js';

export const TenantRef = builder.objectRef<Tenant>('Tenant').implement({
  description: 'A customer of Hotpath: a business with its own users, data and API keys.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'UUID; what createUser and createApiKey take.' }),
    name: t.exposeString('name', { description: '1 to 200 characters.' }),
    timezone: t.exposeString('timezone', {
      description: "IANA time zone the tenant's agenda dates and stats are read in.",
    }),
  }),
});

export const ApiKeyRef = builder.objectRef<ApiKey>('ApiKey').implement({
  description: "A tenant's API key, as operators see it: never the secret, never its hash.",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'UUID; what revokeApiKey takes.' }),
    tenantId: t.exposeID('tenantId'),
    prefix: t.string({
      nullable: true,
      description:
        "The key's first characters (hp_ and 6 more), to recognise it. Null for keys made before keys had a prefix.",
      resolve: (key) => key.prefix ?? null,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'From then on the key answers 401. Null: it never expires.',
      resolve: (key) => key.expiresAt ?? null,
    }),
    revokedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When revokeApiKey refused it, on every instance. Null: not revoked.',
      resolve: (key) => key.revokedAt ?? null,
    }),
    lastUsedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'Coarse: written at most once a minute, in the background. Null: not used since keys record it.',
      resolve: (key) => key.lastUsedAt ?? null,
    }),
  }),
});

builder.queryFields((t) => ({
  apiKeys: t.field({
    description: "Operators only: a tenant's keys, newest first, revoked and expired ones too.",
    type: [ApiKeyRef],
    args: { tenantId: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => ctx.services.tenants.apiKeys(ctx.viewer, String(args.tenantId)),
  }),
}));

builder.mutationFields((t) => ({
  createTenant: t.field({
    description: 'Operators only: tenants, users and API keys.',
    type: TenantRef,
    args: {
      name: t.arg.string({ required: true }),
      timezone: t.arg.string({ description: 'IANA time zone; DEFAULT_TIMEZONE when omitted.' }),
    },
    resolve: (_, args, ctx) => ctx.services.tenants.createTenant(ctx.viewer, args),
  }),
  createApiKey: t.string({
    description: 'Returns the new key once; only its hash and its first characters are stored.',
    args: {
      tenantId: t.arg.id({ required: true }),
      expiresAt: t.arg({
        type: 'DateTime',
        description: 'When the key stops working (in the future); never when omitted.',
      }),
    },
    resolve: (_, args, ctx) =>
      ctx.services.tenants.createApiKey(ctx.viewer, String(args.tenantId), args.expiresAt),
  }),
  revokeApiKey: t.field({
    description:
      'Operators only: the key answers 401 on every instance within 1 s. Revoking it again changes nothing.',
    type: ApiKeyRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => ctx.services.tenants.revokeApiKey(ctx.viewer, String(args.id)),
  }),
}));
