import { listCens } from '../lib/cens';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.listCens, ({ principal, query }) => listCens(principal, query));
