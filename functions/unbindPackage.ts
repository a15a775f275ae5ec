import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { unbind } from '../lib/packages';

export const handler = api(routes.unbindPackage, ({ principal, params, body }) =>
  unbind(principal, params.bandwidthPackageId!, body.cenId),
);
