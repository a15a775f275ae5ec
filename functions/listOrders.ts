import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { listOrders } from '../lib/packages';

export const handler = api(routes.listOrders, ({ principal, params, query }) =>
  listOrders(principal, params.bandwidthPackageId!, query),
);
