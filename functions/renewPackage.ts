import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { renew } from '../lib/packages';

export const handler = api(routes.renewPackage, ({ principal, params, body }) =>
  renew(principal, params.bandwidthPackageId!, body),
);
