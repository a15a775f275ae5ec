import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { bind } from '../lib/packages';

export const handler = api(routes.bindPackage, ({ principal, params, body }) =>
  bind(principal, params.bandwidthPackageId!, body.cenId),
);
