import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { purchase } from '../lib/packages';

export const handler = api(routes.createPackage, ({ principal, body }) => purchase(principal, body));
