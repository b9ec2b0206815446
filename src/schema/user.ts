import { serviceListTag } from '../cache/invalidation/tags.js';
import { PLANS, type User } from '../db/entities/user.entity.js';
import { loadUsers } from '../loaders/user.loader.js';
import { builder, listBound } from './builder.js';
import { loadableRef, loadOrNotFound, tenantLoader } from './loading.js';
import { ServiceRef, servicesOfUsers } from './service.js';

export const PlanEnum = builder.enumType('Plan', {
  description: "The user's subscription; paid plans are warmed first.",
  values: PLANS,
});

export const UserRef = loadableRef<User>('User', tenantLoader(loadUsers));

builder.objectType(UserRef, {
  description: 'A provider: someone with an agenda and services.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'UUID.' }),
    name: t.exposeString('name', { description: '1 to 200 characters.' }),
    plan: t.field({
      type: PlanEnum,
      description: 'The subscription; cache warming serves paid plans first.',
      resolve: (user) => user.plan,
    }),
    services: t.field({
      description: 'The services the user offers (active and inactive; deleted ones are gone).',
      complexity: listBound(30),
      type: [ServiceRef],
      resolve: (user, _, ctx) => {
        ctx.cache?.tag(serviceListTag(user.id));
        return servicesOfUsers(ctx).load(user.id);
      },
    }),
  }),
});

const CreateUserInput = builder.inputType('CreateUserInput', {
  description: 'A new provider of a tenant. Breaking a bound is BAD_USER_INPUT.',
  fields: (t) => ({
    tenantId: t.id({ required: true, description: 'The tenant; NOT_FOUND when there is none.' }),
    name: t.string({ required: true, description: '1 to 200 characters.' }),
    plan: t.field({ type: PlanEnum, required: true, description: 'The subscription.' }),
  }),
});

builder.queryFields((t) => ({
  user: t.field({
    type: UserRef,
    nullable: true,
    description: "A user of the caller's tenant; NOT_FOUND otherwise.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => loadOrNotFound(UserRef, ctx, 'User', String(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  createUser: t.field({
    description: 'Operators only.',
    type: UserRef,
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    resolve: (_, { input }, ctx) =>
      ctx.services.tenants.createUser(ctx.viewer, { ...input, tenantId: String(input.tenantId) }),
  }),
}));
