import { createCen } from '../lib/cens';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.createCen, ({ principal, body }) => createCen(principal, body));
