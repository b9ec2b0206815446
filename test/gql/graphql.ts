/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** Where a booking stands; cancelled appointments stay in the agenda. */
export type AppointmentStatus =
  | 'CANCELLED'
  | 'CONFIRMED'
  | 'PENDING';

/** A new booking; endsAt is startsAt plus the service's duration. */
export type CreateAppointmentInput = {
  /** 1 to 200 characters. */
  clientName: string;
  /** An active service of that user. */
  serviceId: string;
  /** Between the years 2000 and 2100. */
  startsAt: string;
  /** PENDING when omitted. */
  status?: AppointmentStatus | null | undefined;
  /** The provider, a user of the caller's tenant; NOT_FOUND otherwise. */
  userId: string;
};

/** A new service, active from the start. Breaking a bound is BAD_USER_INPUT. */
export type CreateServiceInput = {
  /** Between 5 and 600. */
  durationMinutes: number;
  /** 1 to 200 characters. */
  name: string;
  /** Not negative. */
  priceCents: number;
  /** The provider, a user of the caller's tenant; NOT_FOUND otherwise. */
  userId: string;
};

/** A new provider of a tenant. Breaking a bound is BAD_USER_INPUT. */
export type CreateUserInput = {
  /** 1 to 200 characters. */
  name: string;
  /** The subscription. */
  plan: Plan;
  /** The tenant; NOT_FOUND when there is none. */
  tenantId: string;
};

/** A cached entity or collection (tag <typename>:<id>), in every tenant. */
export type EntityRefInput = {
  /** Omitted: the whole type. */
  id?: string | null | undefined;
  /** One of Tenant, User, Service, Appointment, Agenda, MessageTemplate, AnalyticsReport, MegaStats, Store, WhatsAppSession, SessionStatus, QrCode, DeviceCredential, ServiceList, Template, Analytics, Session, StoreList; else BAD_USER_INPUT. */
  typename: string;
};

/** The user's subscription; paid plans are warmed first. */
export type Plan =
  | 'ENTERPRISE'
  | 'FREE'
  | 'PRO';

/** Where pairing stands: new sessions start DISCONNECTED. */
export type SessionState =
  | 'CONNECTED'
  | 'DISCONNECTED'
  | 'QR_PENDING';

/** What a message is for; each type has a built-in template. */
export type TemplateType =
  | 'APPOINTMENT_CANCELLATION'
  | 'APPOINTMENT_CONFIRMATION'
  | 'APPOINTMENT_REMINDER'
  | 'WELCOME';

export type TenantPlanInput = {
  /** Null: TENANT_MAX_CONCURRENT_MISSES. */
  maxConcurrentMisses?: number | null | undefined;
  /** Null: BUDGET_MAX_POINTS. */
  maximumAvailable?: number | null | undefined;
  /** Points per second. Null: BUDGET_RESTORE_RATE. */
  restoreRate?: number | null | undefined;
};

/** Omitted fields stay as they are; endsAt follows startsAt and the service. */
export type UpdateAppointmentInput = {
  /** 1 to 200 characters. */
  clientName?: string | null | undefined;
  /** When changed: an active service of the same provider (BAD_USER_INPUT otherwise). */
  serviceId?: string | null | undefined;
  /** Between the years 2000 and 2100; a move invalidates the old and the new day. */
  startsAt?: string | null | undefined;
  /** Any status, CANCELLED included. */
  status?: AppointmentStatus | null | undefined;
};

/** Omitted fields stay as they are. */
export type UpdateServiceInput = {
  /** false: no longer bookable, still listed. */
  active?: boolean | null | undefined;
  /** Between 5 and 600. */
  durationMinutes?: number | null | undefined;
  /** 1 to 200 characters. */
  name?: string | null | undefined;
  /** In cents, 0 to 100,000,000. */
  priceCents?: number | null | undefined;
};

/** userId null: the tenant's default for that type. */
export type UpsertTemplateInput = {
  /** Up to 4000 characters. */
  body: string;
  /** 1 to 200 characters. */
  name: string;
  /** Replaces the template of this type and userId, if there is one. */
  type: TemplateType;
  /** The user's own template; omitted: the tenant's default. NOT_FOUND for another tenant's user. */
  userId?: string | null | undefined;
};

export type AccessTypenameQueryVariables = Exact<{ [key: string]: never; }>;


export type AccessTypenameQuery = { __typename: 'Query' };

export type AccessCreateTenantMutationVariables = Exact<{
  name: string;
  timezone?: string | null | undefined;
}>;


export type AccessCreateTenantMutation = { createTenant: { id: string, name: string, timezone: string } };

export type AccessCreateUserMutationVariables = Exact<{
  i: CreateUserInput;
}>;


export type AccessCreateUserMutation = { createUser: { id: string, name: string, plan: Plan } };

export type AccessCreateApiKeyMutationVariables = Exact<{
  t: string;
}>;


export type AccessCreateApiKeyMutation = { createApiKey: string };

export type AccessUserNameQueryVariables = Exact<{
  id: string;
}>;


export type AccessUserNameQuery = { user: { name: string } | null };

export type AccessAgendaQueryVariables = Exact<{
  id: string;
  date: string;
}>;


export type AccessAgendaQuery = { agenda: { id: string } };

export type AccessServiceIdsQueryVariables = Exact<{
  id: string;
}>;


export type AccessServiceIdsQuery = { services: Array<{ id: string }> };

export type AccessWelcomeTemplateQueryVariables = Exact<{
  id: string;
  type: TemplateType;
}>;


export type AccessWelcomeTemplateQuery = { templateByType: { id: string } | null };

export type AccessMegaStatsQueryVariables = Exact<{ [key: string]: never; }>;


export type AccessMegaStatsQuery = { megaStats: { id: string } };

export type AppointmentsUpdateMutationVariables = Exact<{
  id: string;
  input: UpdateAppointmentInput;
}>;


export type AppointmentsUpdateMutation = { updateAppointment: { id: string, startsAt: string, endsAt: string, status: AppointmentStatus, clientName: string, service: { id: string } } };

export type AppointmentsAgendaQueryVariables = Exact<{
  u: string;
  d: string;
}>;


export type AppointmentsAgendaQuery = { agenda: { id: string, date: string, user: { id: string }, appointments: Array<{ id: string, clientName: string, status: AppointmentStatus, startsAt: string }> } };

export type AppointmentsCancelMutationVariables = Exact<{
  id: string;
}>;


export type AppointmentsCancelMutation = { cancelAppointment: { id: string, status: AppointmentStatus } };

export type AppointmentsSetServiceActiveMutationVariables = Exact<{
  id: string;
  active: boolean;
}>;


export type AppointmentsSetServiceActiveMutation = { updateService: { id: string } };

export type AgendaWithRelationsQueryVariables = Exact<{
  userId: string;
  date: string;
}>;


export type AgendaWithRelationsQuery = { agenda: { id: string, appointments: Array<{ id: string, provider: { name: string }, service: { name: string, priceCents: number } }> } };

export type ServicesOfThreeUsersQueryVariables = Exact<{
  a: string;
  b: string;
  c: string;
}>;


export type ServicesOfThreeUsersQuery = { a: Array<{ name: string, user: { name: string } }>, b: Array<{ name: string, user: { name: string } }>, c: Array<{ name: string, user: { name: string } }> };

export type ServicesCreateMutationVariables = Exact<{
  i: CreateServiceInput;
}>;


export type ServicesCreateMutation = { createService: { id: string, name: string, durationMinutes: number, priceCents: number, active: boolean, user: { id: string, name: string } } };

export type ServicesListQueryVariables = Exact<{
  u: string;
}>;


export type ServicesListQuery = { services: Array<{ id: string, name: string, active: boolean }>, user: { services: Array<{ id: string }> } | null };

export type ServicesUpdateMutationVariables = Exact<{
  id: string;
  i: UpdateServiceInput;
}>;


export type ServicesUpdateMutation = { updateService: { id: string, name: string, priceCents: number, active: boolean } };

export type ServicesDeleteMutationVariables = Exact<{
  id: string;
}>;


export type ServicesDeleteMutation = { deleteService: { id: string, active: boolean } };

export type SessionQueryVariables = Exact<{
  id: string;
}>;


export type SessionQuery = { session: { id: string, name: string, status: { id: string, state: SessionState, updatedAt: string }, qrCode: { id: string, code: string, expiresAt: string } | null, credential: { id: string, deviceJid: string } | null } | null };

export type CreateSessionMutationVariables = Exact<{
  name: string;
}>;


export type CreateSessionMutation = { createSession: { id: string, status: { state: SessionState }, qrCode: { id: string } | null, credential: { id: string } | null } };

export type RefreshQrCodeMutationVariables = Exact<{
  id: string;
}>;


export type RefreshQrCodeMutation = { refreshQrCode: { id: string, code: string, expiresAt: string } };

export type SetDeviceCredentialMutationVariables = Exact<{
  id: string;
  jid: string;
}>;


export type SetDeviceCredentialMutation = { setDeviceCredential: { id: string, deviceJid: string } };

export type SessionStatusQueryVariables = Exact<{
  id: string;
}>;


export type SessionStatusQuery = { sessionStatus: { state: SessionState } | null };

export type UpdateSessionStatusMutationVariables = Exact<{
  id: string;
  state: SessionState;
}>;


export type UpdateSessionStatusMutation = { updateSessionStatus: { state: SessionState } };

export type TemplateByTypeQueryVariables = Exact<{
  u: string;
  t: TemplateType;
}>;


export type TemplateByTypeQuery = { templateByType: { id: string, name: string, body: string, variables: Array<string> } | null };

export type TemplateNameQueryVariables = Exact<{
  id: string;
}>;


export type TemplateNameQuery = { template: { name: string } | null };

export type UpsertTemplateMutationVariables = Exact<{
  i: UpsertTemplateInput;
}>;


export type UpsertTemplateMutation = { upsertTemplate: { id: string, name: string, body: string, variables: Array<string> } };

export type RenderTemplateQueryVariables = Exact<{
  u: string;
  t: TemplateType;
  v: unknown;
}>;


export type RenderTemplateQuery = { renderTemplate: { text: string, template: { id: string } } };

export type StoresQueryVariables = Exact<{ [key: string]: never; }>;


export type StoresQuery = { stores: Array<{ id: string, name: string }> };

export type RevocationCreateKeyMutationVariables = Exact<{
  t: string;
  e?: string | null | undefined;
}>;


export type RevocationCreateKeyMutation = { createApiKey: string };

export type RevocationRevokeKeyMutationVariables = Exact<{
  id: string;
}>;


export type RevocationRevokeKeyMutation = { revokeApiKey: { id: string } };

export type RevocationApiKeysQueryVariables = Exact<{
  t: string;
}>;


export type RevocationApiKeysQuery = { apiKeys: Array<{ id: string, prefix: string | null }> };

export type BudgetCreateKeyMutationVariables = Exact<{
  t: string;
}>;


export type BudgetCreateKeyMutation = { createApiKey: string };

export type BudgetKeysQueryVariables = Exact<{
  t: string;
}>;


export type BudgetKeysQuery = { apiKeys: Array<{ id: string, prefix: string | null }> };

export type BudgetRevokeKeyMutationVariables = Exact<{
  id: string;
}>;


export type BudgetRevokeKeyMutation = { revokeApiKey: { id: string, revokedAt: string | null } };

export type BudgetLiveInvalidateMutationVariables = Exact<{
  u: string;
}>;


export type BudgetLiveInvalidateMutation = { invalidateServices: { invalidatedEntities: number } };

export type BudgetLiveMintMutationVariables = Exact<{
  t: string;
}>;


export type BudgetLiveMintMutation = { createApiKey: string };

export type PlansSetMutationVariables = Exact<{
  t: string;
  p: TenantPlanInput;
}>;


export type PlansSetMutation = { setTenantPlan: { tenantId: string, maximumAvailable: number | null, restoreRate: number | null, maxConcurrentMisses: number | null } };

export type PlansMeQueryVariables = Exact<{
  u: string;
}>;


export type PlansMeQuery = { user: { id: string, name: string } | null };

export type PlansReadQueryVariables = Exact<{
  t: string;
}>;


export type PlansReadQuery = { tenantPlan: { maximumAvailable: number | null, restoreRate: number | null } | null };

export type PlansBudgetsQueryVariables = Exact<{ [key: string]: never; }>;


export type PlansBudgetsQuery = { cacheStats: { budgets: Array<{ tenant: string, pointsUsed: number, throttled: number, queuedSeconds: number }> } };

export type WeightAgendaQueryVariables = Exact<{
  u: string;
  d: string;
}>;


export type WeightAgendaQuery = { agenda: { date: string } };

export type WeightReportQueryVariables = Exact<{ [key: string]: never; }>;


export type WeightReportQuery = { analytics: { computedAt: string } };

export type WeightAliasedQueryVariables = Exact<{ [key: string]: never; }>;


export type WeightAliasedQuery = { r: { computedAt: string } };

export type WeightStatsQueryVariables = Exact<{ [key: string]: never; }>;


export type WeightStatsQuery = { megaStats: { computedAt: string } };

export type InvalidationServicesQueryVariables = Exact<{
  u: string;
}>;


export type InvalidationServicesQuery = { services: Array<{ id: string, name: string, active: boolean }> };

export type BoundsUpsertTemplateMutationVariables = Exact<{
  i: UpsertTemplateInput;
}>;


export type BoundsUpsertTemplateMutation = { upsertTemplate: { id: string } };

export type RealQueryVariables = Exact<{
  u: string;
}>;


export type RealQuery = { user: { id: string } | null };

export type BoundsOperationNamesQueryVariables = Exact<{ [key: string]: never; }>;


export type BoundsOperationNamesQuery = { cacheStats: { byOperation: Array<{ operationName: string }> } };

export type AgendaQueryVariables = Exact<{
  u: string;
  d: string;
}>;


export type AgendaQuery = { agenda: { id: string, appointments: Array<{ id: string, service: { id: string, name: string } }> } };

export type UserServicesQueryVariables = Exact<{
  u: string;
}>;


export type UserServicesQuery = { user: { id: string, services: Array<{ id: string }> } | null };

export type CreateAppointmentMutationVariables = Exact<{
  i: CreateAppointmentInput;
}>;


export type CreateAppointmentMutation = { createAppointment: { id: string } };

export type InvalidateAgendaMutationVariables = Exact<{
  u: string;
  d?: string | null | undefined;
}>;


export type InvalidateAgendaMutation = { invalidateAgenda: { invalidatedEntities: number, epoch: number | null } };

export type InvalidateServicesMutationVariables = Exact<{
  u: string;
}>;


export type InvalidateServicesMutation = { invalidateServices: { invalidatedEntities: number, epoch: number | null } };

export type InvalidateTypeMutationVariables = Exact<{
  t: string;
}>;


export type InvalidateTypeMutation = { invalidateType: { invalidatedEntities: number, epoch: number | null } };

export type InvalidateEntitiesMutationVariables = Exact<{
  e: Array<EntityRefInput> | EntityRefInput;
}>;


export type InvalidateEntitiesMutation = { invalidateEntities: { invalidatedEntities: number, epoch: number | null } };

export type PurgeMutationVariables = Exact<{ [key: string]: never; }>;


export type PurgeMutation = { purgeCache: { invalidatedEntities: number, epoch: number | null } };

export type WarmMutationVariables = Exact<{
  ids?: Array<string> | string | null | undefined;
}>;


export type WarmMutation = { warmCache: { usersWarmed: number, operations: number, durationMs: number } };

export type MyServicesQueryVariables = Exact<{
  u: string;
}>;


export type MyServicesQuery = { services: Array<{ id: string, name: string, priceCents: number }> };

export type MyStatsQueryVariables = Exact<{
  tz?: string | null | undefined;
}>;


export type MyStatsQuery = { megaStats: { id: string, today: { total: number }, month: { total: number } } };

export type PopularUpdateServiceMutationVariables = Exact<{
  id: string;
  i: UpdateServiceInput;
}>;


export type PopularUpdateServiceMutation = { updateService: { id: string, name: string } };

export type PopularBookMutationVariables = Exact<{
  i: CreateAppointmentInput;
}>;


export type PopularBookMutation = { createAppointment: { id: string } };

export type PopularPurgeMutationVariables = Exact<{ [key: string]: never; }>;


export type PopularPurgeMutation = { purgeCache: { invalidatedEntities: number } };

export type PopularWarmMutationVariables = Exact<{ [key: string]: never; }>;


export type PopularWarmMutation = { warmCache: { usersWarmed: number, operations: number, popular: number } };

export type PopularWarmUsersMutationVariables = Exact<{
  ids?: Array<string> | string | null | undefined;
}>;


export type PopularWarmUsersMutation = { warmCache: { popular: number } };

export type ServicesQueryVariables = Exact<{
  u: string;
}>;


export type ServicesQuery = { services: Array<{ id: string, name: string }> };

export type ServicesAndUserQueryVariables = Exact<{
  u: string;
}>;


export type ServicesAndUserQuery = { services: Array<{ id: string, name: string, priceCents: number }>, user: { id: string, name: string } | null };

export type ServicesWithPricesQueryVariables = Exact<{
  u: string;
}>;


export type ServicesWithPricesQuery = { services: Array<{ id: string, name: string, priceCents: number }> };

export type ServicePricesQueryVariables = Exact<{
  u: string;
}>;


export type ServicePricesQuery = { services: Array<{ id: string, priceCents: number }> };

export type CreateServiceMutationVariables = Exact<{
  i: CreateServiceInput;
}>;


export type CreateServiceMutation = { createService: { id: string, name: string, priceCents: number } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const AccessTypenameDocument = new TypedDocumentString(`
    query AccessTypename {
  __typename
}
    `) as unknown as TypedDocumentString<AccessTypenameQuery, AccessTypenameQueryVariables>;
export const AccessCreateTenantDocument = new TypedDocumentString(`
    mutation AccessCreateTenant($name: String!, $timezone: String) {
  createTenant(name: $name, timezone: $timezone) {
    id
    name
    timezone
  }
}
    `) as unknown as TypedDocumentString<AccessCreateTenantMutation, AccessCreateTenantMutationVariables>;
export const AccessCreateUserDocument = new TypedDocumentString(`
    mutation AccessCreateUser($i: CreateUserInput!) {
  createUser(input: $i) {
    id
    name
    plan
  }
}
    `) as unknown as TypedDocumentString<AccessCreateUserMutation, AccessCreateUserMutationVariables>;
export const AccessCreateApiKeyDocument = new TypedDocumentString(`
    mutation AccessCreateApiKey($t: ID!) {
  createApiKey(tenantId: $t)
}
    `) as unknown as TypedDocumentString<AccessCreateApiKeyMutation, AccessCreateApiKeyMutationVariables>;
export const AccessUserNameDocument = new TypedDocumentString(`
    query AccessUserName($id: ID!) {
  user(id: $id) {
    name
  }
}
    `) as unknown as TypedDocumentString<AccessUserNameQuery, AccessUserNameQueryVariables>;
export const AccessAgendaDocument = new TypedDocumentString(`
    query AccessAgenda($id: ID!, $date: Date!) {
  agenda(userId: $id, date: $date) {
    id
  }
}
    `) as unknown as TypedDocumentString<AccessAgendaQuery, AccessAgendaQueryVariables>;
export const AccessServiceIdsDocument = new TypedDocumentString(`
    query AccessServiceIds($id: ID!) {
  services(userId: $id) {
    id
  }
}
    `) as unknown as TypedDocumentString<AccessServiceIdsQuery, AccessServiceIdsQueryVariables>;
export const AccessWelcomeTemplateDocument = new TypedDocumentString(`
    query AccessWelcomeTemplate($id: ID!, $type: TemplateType!) {
  templateByType(userId: $id, type: $type) {
    id
  }
}
    `) as unknown as TypedDocumentString<AccessWelcomeTemplateQuery, AccessWelcomeTemplateQueryVariables>;
export const AccessMegaStatsDocument = new TypedDocumentString(`
    query AccessMegaStats {
  megaStats {
    id
  }
}
    `) as unknown as TypedDocumentString<AccessMegaStatsQuery, AccessMegaStatsQueryVariables>;
export const AppointmentsUpdateDocument = new TypedDocumentString(`
    mutation AppointmentsUpdate($id: ID!, $input: UpdateAppointmentInput!) {
  updateAppointment(id: $id, input: $input) {
    id
    startsAt
    endsAt
    status
    clientName
    service {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<AppointmentsUpdateMutation, AppointmentsUpdateMutationVariables>;
export const AppointmentsAgendaDocument = new TypedDocumentString(`
    query AppointmentsAgenda($u: ID!, $d: Date!) {
  agenda(userId: $u, date: $d) {
    id
    date
    user {
      id
    }
    appointments {
      id
      clientName
      status
      startsAt
    }
  }
}
    `) as unknown as TypedDocumentString<AppointmentsAgendaQuery, AppointmentsAgendaQueryVariables>;
export const AppointmentsCancelDocument = new TypedDocumentString(`
    mutation AppointmentsCancel($id: ID!) {
  cancelAppointment(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<AppointmentsCancelMutation, AppointmentsCancelMutationVariables>;
export const AppointmentsSetServiceActiveDocument = new TypedDocumentString(`
    mutation AppointmentsSetServiceActive($id: ID!, $active: Boolean!) {
  updateService(id: $id, input: {active: $active}) {
    id
  }
}
    `) as unknown as TypedDocumentString<AppointmentsSetServiceActiveMutation, AppointmentsSetServiceActiveMutationVariables>;
export const AgendaWithRelationsDocument = new TypedDocumentString(`
    query AgendaWithRelations($userId: ID!, $date: Date!) {
  agenda(userId: $userId, date: $date) {
    id
    appointments {
      id
      provider {
        name
      }
      service {
        name
        priceCents
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AgendaWithRelationsQuery, AgendaWithRelationsQueryVariables>;
export const ServicesOfThreeUsersDocument = new TypedDocumentString(`
    query ServicesOfThreeUsers($a: ID!, $b: ID!, $c: ID!) {
  a: services(userId: $a) {
    name
    user {
      name
    }
  }
  b: services(userId: $b) {
    name
    user {
      name
    }
  }
  c: services(userId: $c) {
    name
    user {
      name
    }
  }
}
    `) as unknown as TypedDocumentString<ServicesOfThreeUsersQuery, ServicesOfThreeUsersQueryVariables>;
export const ServicesCreateDocument = new TypedDocumentString(`
    mutation ServicesCreate($i: CreateServiceInput!) {
  createService(input: $i) {
    id
    name
    durationMinutes
    priceCents
    active
    user {
      id
      name
    }
  }
}
    `) as unknown as TypedDocumentString<ServicesCreateMutation, ServicesCreateMutationVariables>;
export const ServicesListDocument = new TypedDocumentString(`
    query ServicesList($u: ID!) {
  services(userId: $u) {
    id
    name
    active
  }
  user(id: $u) {
    services {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<ServicesListQuery, ServicesListQueryVariables>;
export const ServicesUpdateDocument = new TypedDocumentString(`
    mutation ServicesUpdate($id: ID!, $i: UpdateServiceInput!) {
  updateService(id: $id, input: $i) {
    id
    name
    priceCents
    active
  }
}
    `) as unknown as TypedDocumentString<ServicesUpdateMutation, ServicesUpdateMutationVariables>;
export const ServicesDeleteDocument = new TypedDocumentString(`
    mutation ServicesDelete($id: ID!) {
  deleteService(id: $id) {
    id
    active
  }
}
    `) as unknown as TypedDocumentString<ServicesDeleteMutation, ServicesDeleteMutationVariables>;
export const SessionDocument = new TypedDocumentString(`
    query Session($id: ID!) {
  session(id: $id) {
    id
    name
    status {
      id
      state
      updatedAt
    }
    qrCode {
      id
      code
      expiresAt
    }
    credential {
      id
      deviceJid
    }
  }
}
    `) as unknown as TypedDocumentString<SessionQuery, SessionQueryVariables>;
export const CreateSessionDocument = new TypedDocumentString(`
    mutation CreateSession($name: String!) {
  createSession(name: $name) {
    id
    status {
      state
    }
    qrCode {
      id
    }
    credential {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<CreateSessionMutation, CreateSessionMutationVariables>;
export const RefreshQrCodeDocument = new TypedDocumentString(`
    mutation RefreshQrCode($id: ID!) {
  refreshQrCode(sessionId: $id) {
    id
    code
    expiresAt
  }
}
    `) as unknown as TypedDocumentString<RefreshQrCodeMutation, RefreshQrCodeMutationVariables>;
export const SetDeviceCredentialDocument = new TypedDocumentString(`
    mutation SetDeviceCredential($id: ID!, $jid: String!) {
  setDeviceCredential(sessionId: $id, deviceJid: $jid) {
    id
    deviceJid
  }
}
    `) as unknown as TypedDocumentString<SetDeviceCredentialMutation, SetDeviceCredentialMutationVariables>;
export const SessionStatusDocument = new TypedDocumentString(`
    query SessionStatus($id: ID!) {
  sessionStatus(id: $id) {
    state
  }
}
    `) as unknown as TypedDocumentString<SessionStatusQuery, SessionStatusQueryVariables>;
export const UpdateSessionStatusDocument = new TypedDocumentString(`
    mutation UpdateSessionStatus($id: ID!, $state: SessionState!) {
  updateSessionStatus(id: $id, state: $state) {
    state
  }
}
    `) as unknown as TypedDocumentString<UpdateSessionStatusMutation, UpdateSessionStatusMutationVariables>;
export const TemplateByTypeDocument = new TypedDocumentString(`
    query TemplateByType($u: ID!, $t: TemplateType!) {
  templateByType(userId: $u, type: $t) {
    id
    name
    body
    variables
  }
}
    `) as unknown as TypedDocumentString<TemplateByTypeQuery, TemplateByTypeQueryVariables>;
export const TemplateNameDocument = new TypedDocumentString(`
    query TemplateName($id: ID!) {
  template(id: $id) {
    name
  }
}
    `) as unknown as TypedDocumentString<TemplateNameQuery, TemplateNameQueryVariables>;
export const UpsertTemplateDocument = new TypedDocumentString(`
    mutation UpsertTemplate($i: UpsertTemplateInput!) {
  upsertTemplate(input: $i) {
    id
    name
    body
    variables
  }
}
    `) as unknown as TypedDocumentString<UpsertTemplateMutation, UpsertTemplateMutationVariables>;
export const RenderTemplateDocument = new TypedDocumentString(`
    query RenderTemplate($u: ID!, $t: TemplateType!, $v: JSON!) {
  renderTemplate(userId: $u, type: $t, variables: $v) {
    text
    template {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<RenderTemplateQuery, RenderTemplateQueryVariables>;
export const StoresDocument = new TypedDocumentString(`
    query Stores {
  stores {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<StoresQuery, StoresQueryVariables>;
export const RevocationCreateKeyDocument = new TypedDocumentString(`
    mutation RevocationCreateKey($t: ID!, $e: DateTime) {
  createApiKey(tenantId: $t, expiresAt: $e)
}
    `) as unknown as TypedDocumentString<RevocationCreateKeyMutation, RevocationCreateKeyMutationVariables>;
export const RevocationRevokeKeyDocument = new TypedDocumentString(`
    mutation RevocationRevokeKey($id: ID!) {
  revokeApiKey(id: $id) {
    id
  }
}
    `) as unknown as TypedDocumentString<RevocationRevokeKeyMutation, RevocationRevokeKeyMutationVariables>;
export const RevocationApiKeysDocument = new TypedDocumentString(`
    query RevocationApiKeys($t: ID!) {
  apiKeys(tenantId: $t) {
    id
    prefix
  }
}
    `) as unknown as TypedDocumentString<RevocationApiKeysQuery, RevocationApiKeysQueryVariables>;
export const BudgetCreateKeyDocument = new TypedDocumentString(`
    mutation BudgetCreateKey($t: ID!) {
  createApiKey(tenantId: $t)
}
    `) as unknown as TypedDocumentString<BudgetCreateKeyMutation, BudgetCreateKeyMutationVariables>;
export const BudgetKeysDocument = new TypedDocumentString(`
    query BudgetKeys($t: ID!) {
  apiKeys(tenantId: $t) {
    id
    prefix
  }
}
    `) as unknown as TypedDocumentString<BudgetKeysQuery, BudgetKeysQueryVariables>;
export const BudgetRevokeKeyDocument = new TypedDocumentString(`
    mutation BudgetRevokeKey($id: ID!) {
  revokeApiKey(id: $id) {
    id
    revokedAt
  }
}
    `) as unknown as TypedDocumentString<BudgetRevokeKeyMutation, BudgetRevokeKeyMutationVariables>;
export const BudgetLiveInvalidateDocument = new TypedDocumentString(`
    mutation BudgetLiveInvalidate($u: ID!) {
  invalidateServices(userId: $u) {
    invalidatedEntities
  }
}
    `) as unknown as TypedDocumentString<BudgetLiveInvalidateMutation, BudgetLiveInvalidateMutationVariables>;
export const BudgetLiveMintDocument = new TypedDocumentString(`
    mutation BudgetLiveMint($t: ID!) {
  createApiKey(tenantId: $t)
}
    `) as unknown as TypedDocumentString<BudgetLiveMintMutation, BudgetLiveMintMutationVariables>;
export const PlansSetDocument = new TypedDocumentString(`
    mutation PlansSet($t: ID!, $p: TenantPlanInput!) {
  setTenantPlan(tenantId: $t, plan: $p) {
    tenantId
    maximumAvailable
    restoreRate
    maxConcurrentMisses
  }
}
    `) as unknown as TypedDocumentString<PlansSetMutation, PlansSetMutationVariables>;
export const PlansMeDocument = new TypedDocumentString(`
    query PlansMe($u: ID!) {
  user(id: $u) {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<PlansMeQuery, PlansMeQueryVariables>;
export const PlansReadDocument = new TypedDocumentString(`
    query PlansRead($t: ID!) {
  tenantPlan(tenantId: $t) {
    maximumAvailable
    restoreRate
  }
}
    `) as unknown as TypedDocumentString<PlansReadQuery, PlansReadQueryVariables>;
export const PlansBudgetsDocument = new TypedDocumentString(`
    query PlansBudgets {
  cacheStats {
    budgets {
      tenant
      pointsUsed
      throttled
      queuedSeconds
    }
  }
}
    `) as unknown as TypedDocumentString<PlansBudgetsQuery, PlansBudgetsQueryVariables>;
export const WeightAgendaDocument = new TypedDocumentString(`
    query WeightAgenda($u: ID!, $d: Date!) {
  agenda(userId: $u, date: $d) {
    date
  }
}
    `) as unknown as TypedDocumentString<WeightAgendaQuery, WeightAgendaQueryVariables>;
export const WeightReportDocument = new TypedDocumentString(`
    query WeightReport {
  analytics(
    input: {metrics: [REVENUE], dateRange: {start: "2026-01-01", end: "2026-01-31"}}
  ) {
    computedAt
  }
}
    `) as unknown as TypedDocumentString<WeightReportQuery, WeightReportQueryVariables>;
export const WeightAliasedDocument = new TypedDocumentString(`
    query WeightAliased {
  r: analytics(
    input: {metrics: [REVENUE], dateRange: {start: "2026-02-01", end: "2026-02-28"}}
  ) {
    computedAt
  }
}
    `) as unknown as TypedDocumentString<WeightAliasedQuery, WeightAliasedQueryVariables>;
export const WeightStatsDocument = new TypedDocumentString(`
    query WeightStats {
  megaStats {
    computedAt
  }
}
    `) as unknown as TypedDocumentString<WeightStatsQuery, WeightStatsQueryVariables>;
export const InvalidationServicesDocument = new TypedDocumentString(`
    query InvalidationServices($u: ID!) {
  services(userId: $u) {
    id
    name
    active
  }
}
    `) as unknown as TypedDocumentString<InvalidationServicesQuery, InvalidationServicesQueryVariables>;
export const BoundsUpsertTemplateDocument = new TypedDocumentString(`
    mutation BoundsUpsertTemplate($i: UpsertTemplateInput!) {
  upsertTemplate(input: $i) {
    id
  }
}
    `) as unknown as TypedDocumentString<BoundsUpsertTemplateMutation, BoundsUpsertTemplateMutationVariables>;
export const RealDocument = new TypedDocumentString(`
    query Real($u: ID!) {
  user(id: $u) {
    id
  }
}
    `) as unknown as TypedDocumentString<RealQuery, RealQueryVariables>;
export const BoundsOperationNamesDocument = new TypedDocumentString(`
    query BoundsOperationNames {
  cacheStats {
    byOperation {
      operationName
    }
  }
}
    `) as unknown as TypedDocumentString<BoundsOperationNamesQuery, BoundsOperationNamesQueryVariables>;
export const AgendaDocument = new TypedDocumentString(`
    query Agenda($u: ID!, $d: Date!) {
  agenda(userId: $u, date: $d) {
    id
    appointments {
      id
      service {
        id
        name
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AgendaQuery, AgendaQueryVariables>;
export const UserServicesDocument = new TypedDocumentString(`
    query UserServices($u: ID!) {
  user(id: $u) {
    id
    services {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<UserServicesQuery, UserServicesQueryVariables>;
export const CreateAppointmentDocument = new TypedDocumentString(`
    mutation CreateAppointment($i: CreateAppointmentInput!) {
  createAppointment(input: $i) {
    id
  }
}
    `) as unknown as TypedDocumentString<CreateAppointmentMutation, CreateAppointmentMutationVariables>;
export const InvalidateAgendaDocument = new TypedDocumentString(`
    mutation InvalidateAgenda($u: ID!, $d: Date) {
  invalidateAgenda(userId: $u, date: $d) {
    invalidatedEntities
    epoch
  }
}
    `) as unknown as TypedDocumentString<InvalidateAgendaMutation, InvalidateAgendaMutationVariables>;
export const InvalidateServicesDocument = new TypedDocumentString(`
    mutation InvalidateServices($u: ID!) {
  invalidateServices(userId: $u) {
    invalidatedEntities
    epoch
  }
}
    `) as unknown as TypedDocumentString<InvalidateServicesMutation, InvalidateServicesMutationVariables>;
export const InvalidateTypeDocument = new TypedDocumentString(`
    mutation InvalidateType($t: String!) {
  invalidateType(typename: $t) {
    invalidatedEntities
    epoch
  }
}
    `) as unknown as TypedDocumentString<InvalidateTypeMutation, InvalidateTypeMutationVariables>;
export const InvalidateEntitiesDocument = new TypedDocumentString(`
    mutation InvalidateEntities($e: [EntityRefInput!]!) {
  invalidateEntities(entities: $e) {
    invalidatedEntities
    epoch
  }
}
    `) as unknown as TypedDocumentString<InvalidateEntitiesMutation, InvalidateEntitiesMutationVariables>;
export const PurgeDocument = new TypedDocumentString(`
    mutation Purge {
  purgeCache {
    invalidatedEntities
    epoch
  }
}
    `) as unknown as TypedDocumentString<PurgeMutation, PurgeMutationVariables>;
export const WarmDocument = new TypedDocumentString(`
    mutation Warm($ids: [ID!]) {
  warmCache(userIds: $ids) {
    usersWarmed
    operations
    durationMs
  }
}
    `) as unknown as TypedDocumentString<WarmMutation, WarmMutationVariables>;
export const MyServicesDocument = new TypedDocumentString(`
    query MyServices($u: ID!) {
  services(userId: $u) {
    id
    name
    priceCents
  }
}
    `) as unknown as TypedDocumentString<MyServicesQuery, MyServicesQueryVariables>;
export const MyStatsDocument = new TypedDocumentString(`
    query MyStats($tz: String) {
  megaStats(timezone: $tz) {
    id
    today {
      total
    }
    month {
      total
    }
  }
}
    `) as unknown as TypedDocumentString<MyStatsQuery, MyStatsQueryVariables>;
export const PopularUpdateServiceDocument = new TypedDocumentString(`
    mutation PopularUpdateService($id: ID!, $i: UpdateServiceInput!) {
  updateService(id: $id, input: $i) {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<PopularUpdateServiceMutation, PopularUpdateServiceMutationVariables>;
export const PopularBookDocument = new TypedDocumentString(`
    mutation PopularBook($i: CreateAppointmentInput!) {
  createAppointment(input: $i) {
    id
  }
}
    `) as unknown as TypedDocumentString<PopularBookMutation, PopularBookMutationVariables>;
export const PopularPurgeDocument = new TypedDocumentString(`
    mutation PopularPurge {
  purgeCache {
    invalidatedEntities
  }
}
    `) as unknown as TypedDocumentString<PopularPurgeMutation, PopularPurgeMutationVariables>;
export const PopularWarmDocument = new TypedDocumentString(`
    mutation PopularWarm {
  warmCache {
    usersWarmed
    operations
    popular
  }
}
    `) as unknown as TypedDocumentString<PopularWarmMutation, PopularWarmMutationVariables>;
export const PopularWarmUsersDocument = new TypedDocumentString(`
    mutation PopularWarmUsers($ids: [ID!]) {
  warmCache(userIds: $ids) {
    popular
  }
}
    `) as unknown as TypedDocumentString<PopularWarmUsersMutation, PopularWarmUsersMutationVariables>;
export const ServicesDocument = new TypedDocumentString(`
    query Services($u: ID!) {
  services(userId: $u) {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<ServicesQuery, ServicesQueryVariables>;
export const ServicesAndUserDocument = new TypedDocumentString(`
    query ServicesAndUser($u: ID!) {
  services(userId: $u) {
    id
    name
    priceCents
  }
  user(id: $u) {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<ServicesAndUserQuery, ServicesAndUserQueryVariables>;
export const ServicesWithPricesDocument = new TypedDocumentString(`
    query ServicesWithPrices($u: ID!) {
  services(userId: $u) {
    id
    name
    priceCents
  }
}
    `) as unknown as TypedDocumentString<ServicesWithPricesQuery, ServicesWithPricesQueryVariables>;
export const ServicePricesDocument = new TypedDocumentString(`
    query ServicePrices($u: ID!) {
  services(userId: $u) {
    id
    priceCents
  }
}
    `) as unknown as TypedDocumentString<ServicePricesQuery, ServicePricesQueryVariables>;
export const CreateServiceDocument = new TypedDocumentString(`
    mutation CreateService($i: CreateServiceInput!) {
  createService(input: $i) {
    id
    name
    priceCents
  }
}
    `) as unknown as TypedDocumentString<CreateServiceMutation, CreateServiceMutationVariables>;