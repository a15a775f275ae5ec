import { createConnection } from '../lib/connections';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.createConnection, ({ principal, params, body }) =>
  createConnection(principal, params.cenId!, body),
);
