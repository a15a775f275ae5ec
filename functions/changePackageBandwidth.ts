import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { changeBandwidth } from '../lib/packages';

export const handler = api(routes.changePackageBandwidth, ({ principal, params, body }) =>
  changeBandwidth(principal, params.bandwidthPackageId!, body.bandwidthMbps),
);
