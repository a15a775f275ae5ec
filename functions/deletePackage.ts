import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { deletePackage } from '../lib/packages';

export const handler = api(routes.deletePackage, ({ principal, params }) =>
  deletePackage(principal, params.bandwidthPackageId!),
);
