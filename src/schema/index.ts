import './tenant.js';
import './user.js';
import './service.js';
import './appointment.js';
import './template.js';
import './analytics.js';
import './mega-stats.js';
import './session.js';
import './cache.js';
import './budget.js';
import { builder } from './builder.js';

export const schema = builder.toSchema({ sortSchema: false });
