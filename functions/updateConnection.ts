import { updateConnection } from '../lib/connections';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.updateConnection, ({ principal, params, body }) =>
  updateConnection(principal, params.cenId!, params.connectionId!, body.bandwidthMbps),
);
