import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { listPackages } from '../lib/packages';

export const handler = api(routes.listPackages, ({ principal, query }) => listPackages(principal, query));
