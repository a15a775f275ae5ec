import { listNetworks } from '../lib/cens';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.listNetworks, ({ principal, params, query }) =>
  listNetworks(principal, params.cenId!, query),
);
