import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { updatePackage } from '../lib/packages';

export const handler = api(routes.updatePackage, ({ principal, params, body }) =>
  updatePackage(principal, params.bandwidthPackageId!, body),
);
