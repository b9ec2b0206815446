/* eslint-disable */
import * as types from './graphql.js';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query AccessTypename { __typename }\n": typeof types.AccessTypenameDocument,
    "\n  mutation AccessCreateTenant($name: String!, $timezone: String) {\n    createTenant(name: $name, timezone: $timezone) { id name timezone }\n  }\n": typeof types.AccessCreateTenantDocument,
    "\n  mutation AccessCreateUser($i: CreateUserInput!) { createUser(input: $i) { id name plan } }\n": typeof types.AccessCreateUserDocument,
    "\n  mutation AccessCreateApiKey($t: ID!) { createApiKey(tenantId: $t) }\n": typeof types.AccessCreateApiKeyDocument,
    "\n  query AccessUserName($id: ID!) { user(id: $id) { name } }\n": typeof types.AccessUserNameDocument,
    "\n  query AccessAgenda($id: ID!, $date: Date!) { agenda(userId: $id, date: $date) { id } }\n": typeof types.AccessAgendaDocument,
    "\n  query AccessServiceIds($id: ID!) { services(userId: $id) { id } }\n": typeof types.AccessServiceIdsDocument,
    "\n  query AccessWelcomeTemplate($id: ID!, $type: TemplateType!) {\n    templateByType(userId: $id, type: $type) { id }\n  }\n": typeof types.AccessWelcomeTemplateDocument,
    "\n  query AccessMegaStats { megaStats { id } }\n": typeof types.AccessMegaStatsDocument,
    "\n  mutation AppointmentsUpdate($id: ID!, $input: UpdateAppointmentInput!) {\n    updateAppointment(id: $id, input: $input) {\n      id startsAt endsAt status clientName service { id }\n    }\n  }\n": typeof types.AppointmentsUpdateDocument,
    "\n  query AppointmentsAgenda($u: ID!, $d: Date!) {\n    agenda(userId: $u, date: $d) {\n      id date user { id } appointments { id clientName status startsAt }\n    }\n  }\n": typeof types.AppointmentsAgendaDocument,
    "\n  mutation AppointmentsCancel($id: ID!) { cancelAppointment(id: $id) { id status } }\n": typeof types.AppointmentsCancelDocument,
    "\n  mutation AppointmentsSetServiceActive($id: ID!, $active: Boolean!) {\n    updateService(id: $id, input: { active: $active }) { id }\n  }\n": typeof types.AppointmentsSetServiceActiveDocument,
    "\n  query AgendaWithRelations($userId: ID!, $date: Date!) {\n    agenda(userId: $userId, date: $date) {\n      id\n      appointments {\n        id\n        provider { name }\n        service { name priceCents }\n      }\n    }\n  }\n": typeof types.AgendaWithRelationsDocument,
    "\n  query ServicesOfThreeUsers($a: ID!, $b: ID!, $c: ID!) {\n    a: services(userId: $a) { name user { name } }\n    b: services(userId: $b) { name user { name } }\n    c: services(userId: $c) { name user { name } }\n  }\n": typeof types.ServicesOfThreeUsersDocument,
    "\n  mutation ServicesCreate($i: CreateServiceInput!) {\n    createService(input: $i) { id name durationMinutes priceCents active user { id name } }\n  }\n": typeof types.ServicesCreateDocument,
    "\n  query ServicesList($u: ID!) {\n    services(userId: $u) { id name active }\n    user(id: $u) { services { id } }\n  }\n": typeof types.ServicesListDocument,
    "\n  mutation ServicesUpdate($id: ID!, $i: UpdateServiceInput!) {\n    updateService(id: $id, input: $i) { id name priceCents active }\n  }\n": typeof types.ServicesUpdateDocument,
    "\n  mutation ServicesDelete($id: ID!) { deleteService(id: $id) { id active } }\n": typeof types.ServicesDeleteDocument,
    "\n  query Session($id: ID!) {\n    session(id: $id) {\n      id\n      name\n      status { id state updatedAt }\n      qrCode { id code expiresAt }\n      credential { id deviceJid }\n    }\n  }\n": typeof types.SessionDocument,
    "\n  mutation CreateSession($name: String!) {\n    createSession(name: $name) { id status { state } qrCode { id } credential { id } }\n  }\n": typeof types.CreateSessionDocument,
    "\n  mutation RefreshQrCode($id: ID!) { refreshQrCode(sessionId: $id) { id code expiresAt } }\n": typeof types.RefreshQrCodeDocument,
    "\n  mutation SetDeviceCredential($id: ID!, $jid: String!) {\n    setDeviceCredential(sessionId: $id, deviceJid: $jid) { id deviceJid }\n  }\n": typeof types.SetDeviceCredentialDocument,
    "\n  query SessionStatus($id: ID!) { sessionStatus(id: $id) { state } }\n": typeof types.SessionStatusDocument,
    "\n  mutation UpdateSessionStatus($id: ID!, $state: SessionState!) {\n    updateSessionStatus(id: $id, state: $state) { state }\n  }\n": typeof types.UpdateSessionStatusDocument,
    "\n  query TemplateByType($u: ID!, $t: TemplateType!) {\n    templateByType(userId: $u, type: $t) { id name body variables }\n  }\n": typeof types.TemplateByTypeDocument,
    "\n  query TemplateName($id: ID!) { template(id: $id) { name } }\n": typeof types.TemplateNameDocument,
    "\n  mutation UpsertTemplate($i: UpsertTemplateInput!) {\n    upsertTemplate(input: $i) { id name body variables }\n  }\n": typeof types.UpsertTemplateDocument,
    "\n  query RenderTemplate($u: ID!, $t: TemplateType!, $v: JSON!) {\n    renderTemplate(userId: $u, type: $t, variables: $v) { text template { id } }\n  }\n": typeof types.RenderTemplateDocument,
    "\n  query Stores { stores { id name } }\n": typeof types.StoresDocument,
    "\n  mutation RevocationCreateKey($t: ID!, $e: DateTime) { createApiKey(tenantId: $t, expiresAt: $e) }\n": typeof types.RevocationCreateKeyDocument,
    "\n  mutation RevocationRevokeKey($id: ID!) { revokeApiKey(id: $id) { id } }\n": typeof types.RevocationRevokeKeyDocument,
    "\n  query RevocationApiKeys($t: ID!) { apiKeys(tenantId: $t) { id prefix } }\n": typeof types.RevocationApiKeysDocument,
    "\n  mutation BudgetCreateKey($t: ID!) { createApiKey(tenantId: $t) }\n": typeof types.BudgetCreateKeyDocument,
    "\n  query BudgetKeys($t: ID!) { apiKeys(tenantId: $t) { id prefix } }\n": typeof types.BudgetKeysDocument,
    "\n  mutation BudgetRevokeKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }\n": typeof types.BudgetRevokeKeyDocument,
    "\n  mutation BudgetLiveInvalidate($u: ID!) { invalidateServices(userId: $u) { invalidatedEntities } }\n": typeof types.BudgetLiveInvalidateDocument,
    "\n  mutation BudgetLiveMint($t: ID!) { createApiKey(tenantId: $t) }\n": typeof types.BudgetLiveMintDocument,
    "\n  mutation PlansSet($t: ID!, $p: TenantPlanInput!) {\n    setTenantPlan(tenantId: $t, plan: $p) {\n      tenantId maximumAvailable restoreRate maxConcurrentMisses\n    }\n  }\n": typeof types.PlansSetDocument,
    "\n  query PlansMe($u: ID!) { user(id: $u) { id name } }\n": typeof types.PlansMeDocument,
    "\n  query PlansRead($t: ID!) { tenantPlan(tenantId: $t) { maximumAvailable restoreRate } }\n": typeof types.PlansReadDocument,
    "\n  query PlansBudgets { cacheStats { budgets { tenant pointsUsed throttled queuedSeconds } } }\n": typeof types.PlansBudgetsDocument,
    "\n  query WeightAgenda($u: ID!, $d: Date!) { agenda(userId: $u, date: $d) { date } }\n": typeof types.WeightAgendaDocument,
    "\n  query WeightReport {\n    analytics(input: { metrics: [REVENUE], dateRange: { start: \"2026-01-01\", end: \"2026-01-31\" } }) {\n      computedAt\n    }\n  }\n": typeof types.WeightReportDocument,
    "\n  query WeightAliased {\n    r: analytics(input: { metrics: [REVENUE], dateRange: { start: \"2026-02-01\", end: \"2026-02-28\" } }) {\n      computedAt\n    }\n  }\n": typeof types.WeightAliasedDocument,
    "\n  query WeightStats { megaStats { computedAt } }\n": typeof types.WeightStatsDocument,
    "\n  query InvalidationServices($u: ID!) {\n    services(userId: $u) { id name active }\n  }\n": typeof types.InvalidationServicesDocument,
    "\n  mutation BoundsUpsertTemplate($i: UpsertTemplateInput!) { upsertTemplate(input: $i) { id } }\n": typeof types.BoundsUpsertTemplateDocument,
    "\n  query Real($u: ID!) { user(id: $u) { id } }\n": typeof types.RealDocument,
    "\n  query BoundsOperationNames { cacheStats { byOperation { operationName } } }\n": typeof types.BoundsOperationNamesDocument,
    "\n  query Agenda($u: ID!, $d: Date!) {\n    agenda(userId: $u, date: $d) { id appointments { id service { id name } } }\n  }\n": typeof types.AgendaDocument,
    "\n  query UserServices($u: ID!) { user(id: $u) { id services { id } } }\n": typeof types.UserServicesDocument,
    "\n  mutation CreateAppointment($i: CreateAppointmentInput!) { createAppointment(input: $i) { id } }\n": typeof types.CreateAppointmentDocument,
    "\n  mutation InvalidateAgenda($u: ID!, $d: Date) {\n    invalidateAgenda(userId: $u, date: $d) { invalidatedEntities epoch }\n  }\n": typeof types.InvalidateAgendaDocument,
    "\n  mutation InvalidateServices($u: ID!) {\n    invalidateServices(userId: $u) { invalidatedEntities epoch }\n  }\n": typeof types.InvalidateServicesDocument,
    "\n  mutation InvalidateType($t: String!) { invalidateType(typename: $t) { invalidatedEntities epoch } }\n": typeof types.InvalidateTypeDocument,
    "\n  mutation InvalidateEntities($e: [EntityRefInput!]!) {\n    invalidateEntities(entities: $e) { invalidatedEntities epoch }\n  }\n": typeof types.InvalidateEntitiesDocument,
    "\n  mutation Purge { purgeCache { invalidatedEntities epoch } }\n": typeof types.PurgeDocument,
    "\n  mutation Warm($ids: [ID!]) { warmCache(userIds: $ids) { usersWarmed operations durationMs } }\n": typeof types.WarmDocument,
    "\n  query MyServices($u: ID!) {\n    services(userId: $u) { id name priceCents }\n  }\n": typeof types.MyServicesDocument,
    "\n  query MyStats($tz: String) {\n    megaStats(timezone: $tz) { id today { total } month { total } }\n  }\n": typeof types.MyStatsDocument,
    "\n  mutation PopularUpdateService($id: ID!, $i: UpdateServiceInput!) {\n    updateService(id: $id, input: $i) { id name }\n  }\n": typeof types.PopularUpdateServiceDocument,
    "\n  mutation PopularBook($i: CreateAppointmentInput!) {\n    createAppointment(input: $i) { id }\n  }\n": typeof types.PopularBookDocument,
    "\n  mutation PopularPurge { purgeCache { invalidatedEntities } }\n": typeof types.PopularPurgeDocument,
    "\n  mutation PopularWarm { warmCache { usersWarmed operations popular } }\n": typeof types.PopularWarmDocument,
    "\n  mutation PopularWarmUsers($ids: [ID!]) { warmCache(userIds: $ids) { popular } }\n": typeof types.PopularWarmUsersDocument,
    "\n  query Services($u: ID!) {\n    services(userId: $u) { id name }\n  }\n": typeof types.ServicesDocument,
    "\n  query ServicesAndUser($u: ID!) {\n    services(userId: $u) { id name priceCents }\n    user(id: $u) { id name }\n  }\n": typeof types.ServicesAndUserDocument,
    "\n  query ServicesWithPrices($u: ID!) {\n    services(userId: $u) { id name priceCents }\n  }\n": typeof types.ServicesWithPricesDocument,
    "\n  query ServicePrices($u: ID!) {\n    services(userId: $u) { id priceCents }\n  }\n": typeof types.ServicePricesDocument,
    "\n  mutation CreateService($i: CreateServiceInput!) {\n    createService(input: $i) { id name priceCents }\n  }\n": typeof types.CreateServiceDocument,
};
const documents: Documents = {
    "\n  query AccessTypename { __typename }\n": types.AccessTypenameDocument,
    "\n  mutation AccessCreateTenant($name: String!, $timezone: String) {\n    createTenant(name: $name, timezone: $timezone) { id name timezone }\n  }\n": types.AccessCreateTenantDocument,
    "\n  mutation AccessCreateUser($i: CreateUserInput!) { createUser(input: $i) { id name plan } }\n": types.AccessCreateUserDocument,
    "\n  mutation AccessCreateApiKey($t: ID!) { createApiKey(tenantId: $t) }\n": types.AccessCreateApiKeyDocument,
    "\n  query AccessUserName($id: ID!) { user(id: $id) { name } }\n": types.AccessUserNameDocument,
    "\n  query AccessAgenda($id: ID!, $date: Date!) { agenda(userId: $id, date: $date) { id } }\n": types.AccessAgendaDocument,
    "\n  query AccessServiceIds($id: ID!) { services(userId: $id) { id } }\n": types.AccessServiceIdsDocument,
    "\n  query AccessWelcomeTemplate($id: ID!, $type: TemplateType!) {\n    templateByType(userId: $id, type: $type) { id }\n  }\n": types.AccessWelcomeTemplateDocument,
    "\n  query AccessMegaStats { megaStats { id } }\n": types.AccessMegaStatsDocument,
    "\n  mutation AppointmentsUpdate($id: ID!, $input: UpdateAppointmentInput!) {\n    updateAppointment(id: $id, input: $input) {\n      id startsAt endsAt status clientName service { id }\n    }\n  }\n": types.AppointmentsUpdateDocument,
    "\n  query AppointmentsAgenda($u: ID!, $d: Date!) {\n    agenda(userId: $u, date: $d) {\n      id date user { id } appointments { id clientName status startsAt }\n    }\n  }\n": types.AppointmentsAgendaDocument,
    "\n  mutation AppointmentsCancel($id: ID!) { cancelAppointment(id: $id) { id status } }\n": types.AppointmentsCancelDocument,
    "\n  mutation AppointmentsSetServiceActive($id: ID!, $active: Boolean!) {\n    updateService(id: $id, input: { active: $active }) { id }\n  }\n": types.AppointmentsSetServiceActiveDocument,
    "\n  query AgendaWithRelations($userId: ID!, $date: Date!) {\n    agenda(userId: $userId, date: $date) {\n      id\n      appointments {\n        id\n        provider { name }\n        service { name priceCents }\n      }\n    }\n  }\n": types.AgendaWithRelationsDocument,
    "\n  query ServicesOfThreeUsers($a: ID!, $b: ID!, $c: ID!) {\n    a: services(userId: $a) { name user { name } }\n    b: services(userId: $b) { name user { name } }\n    c: services(userId: $c) { name user { name } }\n  }\n": types.ServicesOfThreeUsersDocument,
    "\n  mutation ServicesCreate($i: CreateServiceInput!) {\n    createService(input: $i) { id name durationMinutes priceCents active user { id name } }\n  }\n": types.ServicesCreateDocument,
    "\n  query ServicesList($u: ID!) {\n    services(userId: $u) { id name active }\n    user(id: $u) { services { id } }\n  }\n": types.ServicesListDocument,
    "\n  mutation ServicesUpdate($id: ID!, $i: UpdateServiceInput!) {\n    updateService(id: $id, input: $i) { id name priceCents active }\n  }\n": types.ServicesUpdateDocument,
    "\n  mutation ServicesDelete($id: ID!) { deleteService(id: $id) { id active } }\n": types.ServicesDeleteDocument,
    "\n  query Session($id: ID!) {\n    session(id: $id) {\n      id\n      name\n      status { id state updatedAt }\n      qrCode { id code expiresAt }\n      credential { id deviceJid }\n    }\n  }\n": types.SessionDocument,
    "\n  mutation CreateSession($name: String!) {\n    createSession(name: $name) { id status { state } qrCode { id } credential { id } }\n  }\n": types.CreateSessionDocument,
    "\n  mutation RefreshQrCode($id: ID!) { refreshQrCode(sessionId: $id) { id code expiresAt } }\n": types.RefreshQrCodeDocument,
    "\n  mutation SetDeviceCredential($id: ID!, $jid: String!) {\n    setDeviceCredential(sessionId: $id, deviceJid: $jid) { id deviceJid }\n  }\n": types.SetDeviceCredentialDocument,
    "\n  query SessionStatus($id: ID!) { sessionStatus(id: $id) { state } }\n": types.SessionStatusDocument,
    "\n  mutation UpdateSessionStatus($id: ID!, $state: SessionState!) {\n    updateSessionStatus(id: $id, state: $state) { state }\n  }\n": types.UpdateSessionStatusDocument,
    "\n  query TemplateByType($u: ID!, $t: TemplateType!) {\n    templateByType(userId: $u, type: $t) { id name body variables }\n  }\n": types.TemplateByTypeDocument,
    "\n  query TemplateName($id: ID!) { template(id: $id) { name } }\n": types.TemplateNameDocument,
    "\n  mutation UpsertTemplate($i: UpsertTemplateInput!) {\n    upsertTemplate(input: $i) { id name body variables }\n  }\n": types.UpsertTemplateDocument,
    "\n  query RenderTemplate($u: ID!, $t: TemplateType!, $v: JSON!) {\n    renderTemplate(userId: $u, type: $t, variables: $v) { text template { id } }\n  }\n": types.RenderTemplateDocument,
    "\n  query Stores { stores { id name } }\n": types.StoresDocument,
    "\n  mutation RevocationCreateKey($t: ID!, $e: DateTime) { createApiKey(tenantId: $t, expiresAt: $e) }\n": types.RevocationCreateKeyDocument,
    "\n  mutation RevocationRevokeKey($id: ID!) { revokeApiKey(id: $id) { id } }\n": types.RevocationRevokeKeyDocument,
    "\n  query RevocationApiKeys($t: ID!) { apiKeys(tenantId: $t) { id prefix } }\n": types.RevocationApiKeysDocument,
    "\n  mutation BudgetCreateKey($t: ID!) { createApiKey(tenantId: $t) }\n": types.BudgetCreateKeyDocument,
    "\n  query BudgetKeys($t: ID!) { apiKeys(tenantId: $t) { id prefix } }\n": types.BudgetKeysDocument,
    "\n  mutation BudgetRevokeKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }\n": types.BudgetRevokeKeyDocument,
    "\n  mutation BudgetLiveInvalidate($u: ID!) { invalidateServices(userId: $u) { invalidatedEntities } }\n": types.BudgetLiveInvalidateDocument,
    "\n  mutation BudgetLiveMint($t: ID!) { createApiKey(tenantId: $t) }\n": types.BudgetLiveMintDocument,
    "\n  mutation PlansSet($t: ID!, $p: TenantPlanInput!) {\n    setTenantPlan(tenantId: $t, plan: $p) {\n      tenantId maximumAvailable restoreRate maxConcurrentMisses\n    }\n  }\n": types.PlansSetDocument,
    "\n  query PlansMe($u: ID!) { user(id: $u) { id name } }\n": types.PlansMeDocument,
    "\n  query PlansRead($t: ID!) { tenantPlan(tenantId: $t) { maximumAvailable restoreRate } }\n": types.PlansReadDocument,
    "\n  query PlansBudgets { cacheStats { budgets { tenant pointsUsed throttled queuedSeconds } } }\n": types.PlansBudgetsDocument,
    "\n  query WeightAgenda($u: ID!, $d: Date!) { agenda(userId: $u, date: $d) { date } }\n": types.WeightAgendaDocument,
    "\n  query WeightReport {\n    analytics(input: { metrics: [REVENUE], dateRange: { start: \"2026-01-01\", end: \"2026-01-31\" } }) {\n      computedAt\n    }\n  }\n": types.WeightReportDocument,
    "\n  query WeightAliased {\n    r: analytics(input: { metrics: [REVENUE], dateRange: { start: \"2026-02-01\", end: \"2026-02-28\" } }) {\n      computedAt\n    }\n  }\n": types.WeightAliasedDocument,
    "\n  query WeightStats { megaStats { computedAt } }\n": types.WeightStatsDocument,
    "\n  query InvalidationServices($u: ID!) {\n    services(userId: $u) { id name active }\n  }\n": types.InvalidationServicesDocument,
    "\n  mutation BoundsUpsertTemplate($i: UpsertTemplateInput!) { upsertTemplate(input: $i) { id } }\n": types.BoundsUpsertTemplateDocument,
    "\n  query Real($u: ID!) { user(id: $u) { id } }\n": types.RealDocument,
    "\n  query BoundsOperationNames { cacheStats { byOperation { operationName } } }\n": types.BoundsOperationNamesDocument,
    "\n  query Agenda($u: ID!, $d: Date!) {\n    agenda(userId: $u, date: $d) { id appointments { id service { id name } } }\n  }\n": types.AgendaDocument,
    "\n  query UserServices($u: ID!) { user(id: $u) { id services { id } } }\n": types.UserServicesDocument,
    "\n  mutation CreateAppointment($i: CreateAppointmentInput!) { createAppointment(input: $i) { id } }\n": types.CreateAppointmentDocument,
    "\n  mutation InvalidateAgenda($u: ID!, $d: Date) {\n    invalidateAgenda(userId: $u, date: $d) { invalidatedEntities epoch }\n  }\n": types.InvalidateAgendaDocument,
    "\n  mutation InvalidateServices($u: ID!) {\n    invalidateServices(userId: $u) { invalidatedEntities epoch }\n  }\n": types.InvalidateServicesDocument,
    "\n  mutation InvalidateType($t: String!) { invalidateType(typename: $t) { invalidatedEntities epoch } }\n": types.InvalidateTypeDocument,
    "\n  mutation InvalidateEntities($e: [EntityRefInput!]!) {\n    invalidateEntities(entities: $e) { invalidatedEntities epoch }\n  }\n": types.InvalidateEntitiesDocument,
    "\n  mutation Purge { purgeCache { invalidatedEntities epoch } }\n": types.PurgeDocument,
    "\n  mutation Warm($ids: [ID!]) { warmCache(userIds: $ids) { usersWarmed operations durationMs } }\n": types.WarmDocument,
    "\n  query MyServices($u: ID!) {\n    services(userId: $u) { id name priceCents }\n  }\n": types.MyServicesDocument,
    "\n  query MyStats($tz: String) {\n    megaStats(timezone: $tz) { id today { total } month { total } }\n  }\n": types.MyStatsDocument,
    "\n  mutation PopularUpdateService($id: ID!, $i: UpdateServiceInput!) {\n    updateService(id: $id, input: $i) { id name }\n  }\n": types.PopularUpdateServiceDocument,
    "\n  mutation PopularBook($i: CreateAppointmentInput!) {\n    createAppointment(input: $i) { id }\n  }\n": types.PopularBookDocument,
    "\n  mutation PopularPurge { purgeCache { invalidatedEntities } }\n": types.PopularPurgeDocument,
    "\n  mutation PopularWarm { warmCache { usersWarmed operations popular } }\n": types.PopularWarmDocument,
    "\n  mutation PopularWarmUsers($ids: [ID!]) { warmCache(userIds: $ids) { popular } }\n": types.PopularWarmUsersDocument,
    "\n  query Services($u: ID!) {\n    services(userId: $u) { id name }\n  }\n": types.ServicesDocument,
    "\n  query ServicesAndUser($u: ID!) {\n    services(userId: $u) { id name priceCents }\n    user(id: $u) { id name }\n  }\n": types.ServicesAndUserDocument,
    "\n  query ServicesWithPrices($u: ID!) {\n    services(userId: $u) { id name priceCents }\n  }\n": types.ServicesWithPricesDocument,
    "\n  query ServicePrices($u: ID!) {\n    services(userId: $u) { id priceCents }\n  }\n": types.ServicePricesDocument,
    "\n  mutation CreateService($i: CreateServiceInput!) {\n    createService(input: $i) { id name priceCents }\n  }\n": types.CreateServiceDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccessTypename { __typename }\n"): typeof import('./graphql.js').AccessTypenameDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccessCreateTenant($name: String!, $timezone: String) {\n    createTenant(name: $name, timezone: $timezone) { id name timezone }\n  }\n"): typeof import('./graphql.js').AccessCreateTenantDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccessCreateUser($i: CreateUserInput!) { createUser(input: $i) { id name plan } }\n"): typeof import('./graphql.js').AccessCreateUserDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccessCreateApiKey($t: ID!) { createApiKey(tenantId: $t) }\n"): typeof import('./graphql.js').AccessCreateApiKeyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccessUserName($id: ID!) { user(id: $id) { name } }\n"): typeof import('./graphql.js').AccessUserNameDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccessAgenda($id: ID!, $date: Date!) { agenda(userId: $id, date: $date) { id } }\n"): typeof import('./graphql.js').AccessAgendaDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccessServiceIds($id: ID!) { services(userId: $id) { id } }\n"): typeof import('./graphql.js').AccessServiceIdsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccessWelcomeTemplate($id: ID!, $type: TemplateType!) {\n    templateByType(userId: $id, type: $type) { id }\n  }\n"): typeof import('./graphql.js').AccessWelcomeTemplateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccessMegaStats { megaStats { id } }\n"): typeof import('./graphql.js').AccessMegaStatsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AppointmentsUpdate($id: ID!, $input: UpdateAppointmentInput!) {\n    updateAppointment(id: $id, input: $input) {\n      id startsAt endsAt status clientName service { id }\n    }\n  }\n"): typeof import('./graphql.js').AppointmentsUpdateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AppointmentsAgenda($u: ID!, $d: Date!) {\n    agenda(userId: $u, date: $d) {\n      id date user { id } appointments { id clientName status startsAt }\n    }\n  }\n"): typeof import('./graphql.js').AppointmentsAgendaDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AppointmentsCancel($id: ID!) { cancelAppointment(id: $id) { id status } }\n"): typeof import('./graphql.js').AppointmentsCancelDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AppointmentsSetServiceActive($id: ID!, $active: Boolean!) {\n    updateService(id: $id, input: { active: $active }) { id }\n  }\n"): typeof import('./graphql.js').AppointmentsSetServiceActiveDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AgendaWithRelations($userId: ID!, $date: Date!) {\n    agenda(userId: $userId, date: $date) {\n      id\n      appointments {\n        id\n        provider { name }\n        service { name priceCents }\n      }\n    }\n  }\n"): typeof import('./graphql.js').AgendaWithRelationsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ServicesOfThreeUsers($a: ID!, $b: ID!, $c: ID!) {\n    a: services(userId: $a) { name user { name } }\n    b: services(userId: $b) { name user { name } }\n    c: services(userId: $c) { name user { name } }\n  }\n"): typeof import('./graphql.js').ServicesOfThreeUsersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ServicesCreate($i: CreateServiceInput!) {\n    createService(input: $i) { id name durationMinutes priceCents active user { id name } }\n  }\n"): typeof import('./graphql.js').ServicesCreateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ServicesList($u: ID!) {\n    services(userId: $u) { id name active }\n    user(id: $u) { services { id } }\n  }\n"): typeof import('./graphql.js').ServicesListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ServicesUpdate($id: ID!, $i: UpdateServiceInput!) {\n    updateService(id: $id, input: $i) { id name priceCents active }\n  }\n"): typeof import('./graphql.js').ServicesUpdateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ServicesDelete($id: ID!) { deleteService(id: $id) { id active } }\n"): typeof import('./graphql.js').ServicesDeleteDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Session($id: ID!) {\n    session(id: $id) {\n      id\n      name\n      status { id state updatedAt }\n      qrCode { id code expiresAt }\n      credential { id deviceJid }\n    }\n  }\n"): typeof import('./graphql.js').SessionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateSession($name: String!) {\n    createSession(name: $name) { id status { state } qrCode { id } credential { id } }\n  }\n"): typeof import('./graphql.js').CreateSessionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RefreshQrCode($id: ID!) { refreshQrCode(sessionId: $id) { id code expiresAt } }\n"): typeof import('./graphql.js').RefreshQrCodeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetDeviceCredential($id: ID!, $jid: String!) {\n    setDeviceCredential(sessionId: $id, deviceJid: $jid) { id deviceJid }\n  }\n"): typeof import('./graphql.js').SetDeviceCredentialDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SessionStatus($id: ID!) { sessionStatus(id: $id) { state } }\n"): typeof import('./graphql.js').SessionStatusDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateSessionStatus($id: ID!, $state: SessionState!) {\n    updateSessionStatus(id: $id, state: $state) { state }\n  }\n"): typeof import('./graphql.js').UpdateSessionStatusDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TemplateByType($u: ID!, $t: TemplateType!) {\n    templateByType(userId: $u, type: $t) { id name body variables }\n  }\n"): typeof import('./graphql.js').TemplateByTypeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TemplateName($id: ID!) { template(id: $id) { name } }\n"): typeof import('./graphql.js').TemplateNameDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpsertTemplate($i: UpsertTemplateInput!) {\n    upsertTemplate(input: $i) { id name body variables }\n  }\n"): typeof import('./graphql.js').UpsertTemplateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RenderTemplate($u: ID!, $t: TemplateType!, $v: JSON!) {\n    renderTemplate(userId: $u, type: $t, variables: $v) { text template { id } }\n  }\n"): typeof import('./graphql.js').RenderTemplateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Stores { stores { id name } }\n"): typeof import('./graphql.js').StoresDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevocationCreateKey($t: ID!, $e: DateTime) { createApiKey(tenantId: $t, expiresAt: $e) }\n"): typeof import('./graphql.js').RevocationCreateKeyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevocationRevokeKey($id: ID!) { revokeApiKey(id: $id) { id } }\n"): typeof import('./graphql.js').RevocationRevokeKeyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RevocationApiKeys($t: ID!) { apiKeys(tenantId: $t) { id prefix } }\n"): typeof import('./graphql.js').RevocationApiKeysDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BudgetCreateKey($t: ID!) { createApiKey(tenantId: $t) }\n"): typeof import('./graphql.js').BudgetCreateKeyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BudgetKeys($t: ID!) { apiKeys(tenantId: $t) { id prefix } }\n"): typeof import('./graphql.js').BudgetKeysDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BudgetRevokeKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }\n"): typeof import('./graphql.js').BudgetRevokeKeyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BudgetLiveInvalidate($u: ID!) { invalidateServices(userId: $u) { invalidatedEntities } }\n"): typeof import('./graphql.js').BudgetLiveInvalidateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BudgetLiveMint($t: ID!) { createApiKey(tenantId: $t) }\n"): typeof import('./graphql.js').BudgetLiveMintDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PlansSet($t: ID!, $p: TenantPlanInput!) {\n    setTenantPlan(tenantId: $t, plan: $p) {\n      tenantId maximumAvailable restoreRate maxConcurrentMisses\n    }\n  }\n"): typeof import('./graphql.js').PlansSetDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PlansMe($u: ID!) { user(id: $u) { id name } }\n"): typeof import('./graphql.js').PlansMeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PlansRead($t: ID!) { tenantPlan(tenantId: $t) { maximumAvailable restoreRate } }\n"): typeof import('./graphql.js').PlansReadDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PlansBudgets { cacheStats { budgets { tenant pointsUsed throttled queuedSeconds } } }\n"): typeof import('./graphql.js').PlansBudgetsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WeightAgenda($u: ID!, $d: Date!) { agenda(userId: $u, date: $d) { date } }\n"): typeof import('./graphql.js').WeightAgendaDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WeightReport {\n    analytics(input: { metrics: [REVENUE], dateRange: { start: \"2026-01-01\", end: \"2026-01-31\" } }) {\n      computedAt\n    }\n  }\n"): typeof import('./graphql.js').WeightReportDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WeightAliased {\n    r: analytics(input: { metrics: [REVENUE], dateRange: { start: \"2026-02-01\", end: \"2026-02-28\" } }) {\n      computedAt\n    }\n  }\n"): typeof import('./graphql.js').WeightAliasedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WeightStats { megaStats { computedAt } }\n"): typeof import('./graphql.js').WeightStatsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query InvalidationServices($u: ID!) {\n    services(userId: $u) { id name active }\n  }\n"): typeof import('./graphql.js').InvalidationServicesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BoundsUpsertTemplate($i: UpsertTemplateInput!) { upsertTemplate(input: $i) { id } }\n"): typeof import('./graphql.js').BoundsUpsertTemplateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Real($u: ID!) { user(id: $u) { id } }\n"): typeof import('./graphql.js').RealDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BoundsOperationNames { cacheStats { byOperation { operationName } } }\n"): typeof import('./graphql.js').BoundsOperationNamesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Agenda($u: ID!, $d: Date!) {\n    agenda(userId: $u, date: $d) { id appointments { id service { id name } } }\n  }\n"): typeof import('./graphql.js').AgendaDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query UserServices($u: ID!) { user(id: $u) { id services { id } } }\n"): typeof import('./graphql.js').UserServicesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateAppointment($i: CreateAppointmentInput!) { createAppointment(input: $i) { id } }\n"): typeof import('./graphql.js').CreateAppointmentDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation InvalidateAgenda($u: ID!, $d: Date) {\n    invalidateAgenda(userId: $u, date: $d) { invalidatedEntities epoch }\n  }\n"): typeof import('./graphql.js').InvalidateAgendaDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation InvalidateServices($u: ID!) {\n    invalidateServices(userId: $u) { invalidatedEntities epoch }\n  }\n"): typeof import('./graphql.js').InvalidateServicesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation InvalidateType($t: String!) { invalidateType(typename: $t) { invalidatedEntities epoch } }\n"): typeof import('./graphql.js').InvalidateTypeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation InvalidateEntities($e: [EntityRefInput!]!) {\n    invalidateEntities(entities: $e) { invalidatedEntities epoch }\n  }\n"): typeof import('./graphql.js').InvalidateEntitiesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Purge { purgeCache { invalidatedEntities epoch } }\n"): typeof import('./graphql.js').PurgeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Warm($ids: [ID!]) { warmCache(userIds: $ids) { usersWarmed operations durationMs } }\n"): typeof import('./graphql.js').WarmDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyServices($u: ID!) {\n    services(userId: $u) { id name priceCents }\n  }\n"): typeof import('./graphql.js').MyServicesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyStats($tz: String) {\n    megaStats(timezone: $tz) { id today { total } month { total } }\n  }\n"): typeof import('./graphql.js').MyStatsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PopularUpdateService($id: ID!, $i: UpdateServiceInput!) {\n    updateService(id: $id, input: $i) { id name }\n  }\n"): typeof import('./graphql.js').PopularUpdateServiceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PopularBook($i: CreateAppointmentInput!) {\n    createAppointment(input: $i) { id }\n  }\n"): typeof import('./graphql.js').PopularBookDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PopularPurge { purgeCache { invalidatedEntities } }\n"): typeof import('./graphql.js').PopularPurgeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PopularWarm { warmCache { usersWarmed operations popular } }\n"): typeof import('./graphql.js').PopularWarmDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PopularWarmUsers($ids: [ID!]) { warmCache(userIds: $ids) { popular } }\n"): typeof import('./graphql.js').PopularWarmUsersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Services($u: ID!) {\n    services(userId: $u) { id name }\n  }\n"): typeof import('./graphql.js').ServicesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ServicesAndUser($u: ID!) {\n    services(userId: $u) { id name priceCents }\n    user(id: $u) { id name }\n  }\n"): typeof import('./graphql.js').ServicesAndUserDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ServicesWithPrices($u: ID!) {\n    services(userId: $u) { id name priceCents }\n  }\n"): typeof import('./graphql.js').ServicesWithPricesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ServicePrices($u: ID!) {\n    services(userId: $u) { id priceCents }\n  }\n"): typeof import('./graphql.js').ServicePricesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateService($i: CreateServiceInput!) {\n    createService(input: $i) { id name priceCents }\n  }\n"): typeof import('./graphql.js').CreateServiceDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
