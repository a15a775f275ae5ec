import { getConnection } from '../lib/connections';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.getConnection, ({ principal, params }) =>
  getConnection(principal, params.cenId!, params.connectionId!),
);
