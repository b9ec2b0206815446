import { serviceListTag } from '../cache/invalidation/tags.js';
import type { Service } from '../db/entities/service.entity.js';
import { groupedByKeys } from '../loaders/rows.js';
import { loadServices, loadServicesOfUsers } from '../loaders/service.loader.js';
import { builder, listBound } from './builder.js';
import { loadableRef, loadOrNotFound, tenantLoader } from './loading.js';
import { UserRef } from './user.js';

export const ServiceRef = loadableRef<Service>('Service', tenantLoader(loadServices));

/** A request's services of users, by user id (the `services` query and `User.services`). */
export const servicesOfUsers = tenantLoader(async (db, tenantId, userIds: string[]) =>
  groupedByKeys(userIds, await loadServicesOfUsers(db, tenantId, userIds), (s) => s.userId),
);

builder.objectType(ServiceRef, {
  description: 'Something a provider offers, with its length and price.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'UUID.' }),
    user: t.field({ type: UserRef, description: 'The provider.', resolve: (s) => s.userId }),
    name: t.exposeString('name', { description: '1 to 200 characters.' }),
    durationMinutes: t.exposeInt('durationMinutes', { description: 'Between 5 and 600.' }),
    priceCents: t.exposeInt('priceCents', { description: 'Price in cents.' }),
    active: t.exposeBoolean('active', { description: 'Bookable. False once deleted.' }),
  }),
});

const CreateServiceInput = builder.inputType('CreateServiceInput', {
  description: 'A new service, active from the start. Breaking a bound is BAD_USER_INPUT.',
  fields: (t) => ({
    userId: t.id({
      required: true,
      description: "The provider, a user of the caller's tenant; NOT_FOUND otherwise.",
    }),
    name: t.string({ required: true, description: '1 to 200 characters.' }),
    durationMinutes: t.int({ required: true, description: 'Between 5 and 600.' }),
    priceCents: t.int({ required: true, description: 'Not negative.' }),
  }),
});

const UpdateServiceInput = builder.inputType('UpdateServiceInput', {
  description: 'Omitted fields stay as they are.',
  fields: (t) => ({
    name: t.string({ description: '1 to 200 characters.' }),
    durationMinutes: t.int({ description: 'Between 5 and 600.' }),
    priceCents: t.int({ description: 'In cents, 0 to 100,000,000.' }),
    active: t.boolean({ description: 'false: no longer bookable, still listed.' }),
  }),
});

builder.queryFields((t) => ({
  services: t.field({
    description: "The user's services, by name; NOT_FOUND for a user of another tenant.",
    complexity: listBound(30),
    type: [ServiceRef],
    args: { userId: t.arg.id({ required: true }) },
    resolve: async (_, args, ctx) => {
      const user = await loadOrNotFound(UserRef, ctx, 'User', String(args.userId));
      ctx.cache?.tag(serviceListTag(user.id));
      return servicesOfUsers(ctx).load(user.id);
    },
  }),
}));

builder.mutationFields((t) => ({
  createService: t.field({
    type: ServiceRef,
    description: "Adds a service to a provider; invalidates that user's cached services lists.",
    args: { input: t.arg({ type: CreateServiceInput, required: true }) },
    resolve: (_, { input }, ctx) =>
      ctx.services.services.create(ctx.viewer, { ...input, userId: String(input.userId) }),
  }),
  updateService: t.field({
    type: ServiceRef,
    description:
      "Invalidates the user's services lists and every cached response showing the service. " +
      "NOT_FOUND for a deleted service or another tenant's.",
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateServiceInput, required: true }),
    },
    resolve: (_, args, ctx) =>
      ctx.services.services.update(ctx.viewer, String(args.id), args.input),
  }),
  deleteService: t.field({
    description: 'Takes the service off the list; booked appointments keep showing it.',
    type: ServiceRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => ctx.services.services.delete(ctx.viewer, String(args.id)),
  }),
}));
