import { listConnections } from '../lib/connections';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.listConnections, ({ principal, params, query }) =>
  listConnections(principal, params.cenId!, query),
);
