import { APPOINTMENT_STATUSES, type Appointment } from '../db/entities/appointment.entity.js';
import { type AgendaKey, agendaId, loadAgendaAppointments } from '../loaders/appointment.loader.js';
import { requireTenant } from '../services/access.js';
import { builder, listBound } from './builder.js';
import { loadOrNotFound, requestLoader } from './loading.js';
import { ServiceRef } from './service.js';
import { UserRef } from './user.js';

export const AppointmentStatusEnum = builder.enumType('AppointmentStatus', {
  description: 'Where a booking stands; cancelled appointments stay in the agenda.',
  values: APPOINTMENT_STATUSES,
});

export const AppointmentRef = builder.objectRef<Appointment>('Appointment').implement({
  description: 'A client booked with a provider for one of their services.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'UUID.' }),
    provider: t.field({
      type: UserRef,
      description: 'The user whose agenda it is in.',
      resolve: (a) => a.userId,
    }),
    service: t.field({
      type: ServiceRef,
      description: 'The booked service; it may have been deactivated or deleted since.',
      resolve: (a) => a.serviceId,
    }),
    clientName: t.exposeString('clientName', { description: 'Who booked; 1 to 200 characters.' }),
    startsAt: t.expose('startsAt', {
      type: 'DateTime',
      description: "Its day in the tenant's time zone is the agenda it belongs to.",
    }),
    endsAt: t.expose('endsAt', {
      type: 'DateTime',
      description: "startsAt plus the service's duration.",
    }),
    status: t.field({
      type: AppointmentStatusEnum,
      description: 'PENDING unless set; cancelAppointment makes it CANCELLED.',
      resolve: (a) => a.status,
    }),
  }),
});

/** A request's agendas' appointments, by agenda id ('<userId>:<date>'). */
const agendaAppointments = requestLoader(async (ids: string[], ctx) => {
  const tenant = requireTenant(ctx.viewer);
  const keys = ids.map((id) => {
    const cut = id.lastIndexOf(':');
    return { userId: id.slice(0, cut), date: id.slice(cut + 1) };
  });
  return loadAgendaAppointments(ctx.db, tenant.tenantId, tenant.timezone, keys);
});

export const AgendaRef = builder.objectRef<AgendaKey>('Agenda').implement({
  description: "One provider's appointments on one day. id is '<userId>:<date>'.",
  fields: (t) => ({
    id: t.id({ description: "'<userId>:<date>'.", resolve: agendaId }),
    user: t.field({
      type: UserRef,
      description: 'The provider.',
      resolve: (agenda) => agenda.userId,
    }),
    date: t.field({
      type: 'Date',
      description: "The day, in the tenant's time zone.",
      resolve: (agenda) => agenda.date,
    }),
    appointments: t.field({
      description: 'In start order, cancelled ones included.',
      // A provider's day: 50 appointments is a very full one.
      complexity: listBound(50),
      type: [AppointmentRef],
      resolve: (agenda, _, ctx) => agendaAppointments(ctx).load(agendaId(agenda)),
    }),
  }),
});

const CreateAppointmentInput = builder.inputType('CreateAppointmentInput', {
  description: "A new booking; endsAt is startsAt plus the service's duration.",
  fields: (t) => ({
    userId: t.id({
      required: true,
      description: "The provider, a user of the caller's tenant; NOT_FOUND otherwise.",
    }),
    serviceId: t.id({ required: true, description: 'An active service of that user.' }),
    clientName: t.string({ required: true, description: '1 to 200 characters.' }),
    startsAt: t.field({
      type: 'DateTime',
      required: true,
      description: 'Between the years 2000 and 2100.',
    }),
    status: t.field({ type: AppointmentStatusEnum, description: 'PENDING when omitted.' }),
  }),
});

const UpdateAppointmentInput = builder.inputType('UpdateAppointmentInput', {
  description: 'Omitted fields stay as they are; endsAt follows startsAt and the service.',
  fields: (t) => ({
    startsAt: t.field({
      type: 'DateTime',
      description: 'Between the years 2000 and 2100; a move invalidates the old and the new day.',
    }),
    clientName: t.string({ description: '1 to 200 characters.' }),
    status: t.field({
      type: AppointmentStatusEnum,
      description: 'Any status, CANCELLED included.',
    }),
    serviceId: t.id({
      description:
        'When changed: an active service of the same provider (BAD_USER_INPUT otherwise).',
    }),
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
    description:
      "Books a client. Invalidates that provider's day and the tenant's megaStats. NOT_FOUND " +
      "for another tenant's user or service; BAD_USER_INPUT for another provider's or an " +
      'inactive service.',
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
    description:
      "Changes a booking. Invalidates its old and new day and the tenant's megaStats. " +
      "NOT_FOUND for another tenant's appointment.",
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
    description:
      "Sets status CANCELLED; it stays in the agenda. Invalidates its day and the tenant's " +
      "megaStats. NOT_FOUND for another tenant's appointment.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => ctx.services.appointments.cancel(ctx.viewer, String(args.id)),
  }),
}));
