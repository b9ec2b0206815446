import { AnalyticsService } from './analytics.service.js';
import { AppointmentService } from './appointment.service.js';
import { type CacheAdminDeps, CacheAdminService } from './cache-admin.service.js';
import type { ServiceDeps } from './deps.js';
import { MegaStatsService } from './mega-stats.service.js';
import { type PlanEvents, PlanService } from './plan.service.js';
import { SaleService } from './sale.service.js';
import { ServiceService } from './service.service.js';
import { SessionService } from './session.service.js';
import { TemplateService } from './template.service.js';
import { type KeyEvents, TenantService } from './tenant.service.js';

export function createServices(
  deps: ServiceDeps,
  cache: CacheAdminDeps,
  keys?: KeyEvents,
  plans?: PlanEvents,
) {
  return {
    cache: new CacheAdminService(deps, cache),
    tenants: new TenantService(deps, keys),
    services: new ServiceService(deps),
    appointments: new AppointmentService(deps),
    templates: new TemplateService(deps),
    sales: new SaleService(deps),
    analytics: new AnalyticsService(deps),
    megaStats: new MegaStatsService(deps),
    sessions: new SessionService(deps),
    plans: new PlanService(deps, plans),
  };
}

export type Services = ReturnType<typeof createServices>;
