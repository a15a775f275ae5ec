import { getQuotas } from '../lib/accounts';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

/** The caller's own account: any key may read its quotas and usage. */
export const handler = api(routes.getQuotas, ({ principal }) => getQuotas(principal.accountId));
