import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

/** Who the caller is: the console learns the role (operator or tenant) from here. */
export const handler = api(routes.whoami, ({ principal }) => ({
  accountId: principal.accountId,
  role: principal.role,
}));
