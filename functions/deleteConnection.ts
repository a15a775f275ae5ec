import { deleteConnection } from '../lib/connections';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.deleteConnection, ({ principal, params }) =>
  deleteConnection(principal, params.cenId!, params.connectionId!),
);
