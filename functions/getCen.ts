import { getCen } from '../lib/cens';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.getCen, ({ principal, params }) => getCen(principal, params.cenId!));
