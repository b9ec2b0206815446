import './tenant.js';
import './user.js';
import './service.js';
import './appointment.js';
import './template.js';
import './analytics.js';
import './mega-stats.js';
import './session.js';
import './cache.js';
import './cache-why.js';
import './budget.js';
import './live.js';
import { GraphQLLiveDirective } from '@n1ru4l/graphql-live-query';
import { builder } from './builder.js';

// `@live` (the @n1ru4l/graphql-live-query convention): a query served over SSE and pushed again
// whenever its result changes (src/live, DESIGN §14).
export const schema = builder.toSchema({ sortSchema: false, directives: [GraphQLLiveDirective] });
