import { ApiError } from '../lib/errors';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

/** The catch-all route: an unknown method or path gets the API's error format, not the gateway's. */
export const handler = api(routes.routeNotFound, () => {
  throw new ApiError(404, 'NotFound.Route', 'No such route; see GET /openapi.json.');
});
