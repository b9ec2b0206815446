import { APPOINTMENT_STATUSES, type Appointment } from '../db/entities/appointment.entity.js';
import { type AgendaKey, agendaId, loadAgendaAppointments } from '../loaders/appointment.loader.js';
import { requireTenant } from '../services/access.js';
import { builder } from './builder.js';
import { loadOrNotFound } from './loading.js';
import { ServiceRef } from './service.js';
import { UserRef } from './user.js';

export const AppointmentStatusEnum = builder.enumType('AppointmentStatus', {
  values: APPOINTMENT_STATUSES,
});

export const AppointmentRef = builder.objectRef<Appointment>('Appointment').implement({
  description: 'A client booked with a provider for one of their services.',
  fields: (t) => ({
    id: t.exposeID('id'),
    provider: t.field({ type: UserRef, resolve: (a) => a.userId }),
    service: t.field({ type: ServiceRef, resolve: (a) => a.serviceId }),
    clientName: t.exposeString('clientName'),
    startsAt: t.expose('startsAt', { type: 'DateTime' }),
    endsAt: t.expose('endsAt', {
      type: 'DateTime',
      description: "startsAt plus the service's duration.",
    }),
    status: t.field({ type: AppointmentStatusEnum, resolve: (a) => a.status }),
  }),
});

export const AgendaRef = builder.objectRef<AgendaKey>('Agenda').implement({
  description: "One provider's appointments on one day. id is '<userId>:<date>'.",
  fields: (t) => ({
    id: t.id({ resolve: agendaId }),
    user: t.field({ type: UserRef, resolve: (agenda) => agenda.userId }),
    date: t.field({
      type: 'Date',
      description: "The day, in the tenant's time zone.",
      resolve: (agenda) => agenda.date,
    }),
    appointments: t.loadableList({
      description: 'In start order, cancelled ones included.',
      type: AppointmentRef,
      load: async (ids: string[], ctx) => {
        const tenant = requireTenant(ctx.viewer);
        const keys = ids.map((id) => {
          const cut = id.lastIndexOf(':');
          return { userId: id.slice(0, cut), date: id.slice(cut + 1) };
        });
        return loadAgendaAppointments(ctx.db, tenant.tenantId, tenant.timezone, keys);
      },
      resolve: agendaId,
    }),
  }),
});

const CreateAppointmentInput = builder.inputType('CreateAppointmentInput', {
  fields: (t) => ({
    userId: t.id({ required: true }),
    serviceId: t.id({ required: true, description: 'An active service of that user.' }),
    clientName: t.string({ required: true }),
    startsAt: t.field({ type: 'DateTime', required: true }),
    status: t.field({ type: AppointmentStatusEnum, description: 'PENDING when omitted.' }),
  }),
});

const UpdateAppointmentInput = builder.inputType('UpdateAppointmentInput', {
  description: 'Omitted fields stay as they are; endsAt follows startsAt and the service.',
  fields: (t) => ({
    startsAt: t.field({ type: 'DateTime' }),
    clientName: t.string(),
    status: t.field({ type: AppointmentStatusEnum }),
    serviceId: t.id(),
  }),
});

builder.queryFields((t) => ({
  agenda: t.field({
    type: AgendaRef,
    description: "A provider's day; the date is read in the tenant's time zone.",
    args: {
      userId: t.arg.id({ required: true }),
      date: t.arg({ type: 'Date', required: true }),
    },
    resolve: async (_, args, ctx) => {
      const user = await loadOrNotFound(UserRef, ctx, 'User', String(args.userId));
      return { userId: user.id, date: args.date };
    },
  }),
}));

builder.mutationFields((t) => ({
  createAppointment: t.field({
    type: AppointmentRef,
    args: { input: t.arg({ type: CreateAppointmentInput, required: true }) },
    resolve: (_, { input }, ctx) =>
      ctx.services.appointments.create(ctx.viewer, {
        ...input,
        userId: String(input.userId),
        serviceId: String(input.serviceId),
      }),
  }),
  updateAppointment: t.field({
    type: AppointmentRef,
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateAppointmentInput, required: true }),
    },
    resolve: (_, { id, input }, ctx) =>
      ctx.services.appointments.update(ctx.viewer, String(id), {
        ...input,
        serviceId: input.serviceId == null ? input.serviceId : String(input.serviceId),
      }),
  }),
  cancelAppointment: t.field({
    type: AppointmentRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => ctx.services.appointments.cancel(ctx.viewer, String(args.id)),
  }),
}));
