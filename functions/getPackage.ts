import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { getPackage } from '../lib/packages';

export const handler = api(routes.getPackage, ({ principal, params }) =>
  getPackage(principal, params.bandwidthPackageId!),
);
