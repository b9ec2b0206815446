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
    description: 'Returns the new key once; only its hash is stored.',
    args: { tenantId: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => ctx.services.tenants.createApiKey(ctx.viewer, String(args.tenantId)),
  }),
}));
