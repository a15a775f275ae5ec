import { effectiveBandwidth } from '../lib/connections';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.getEffectiveBandwidth, ({ principal, params, query }) =>
  effectiveBandwidth(principal, params.cenId!, query),
);
