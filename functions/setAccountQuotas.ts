import { setQuotas } from '../lib/accounts';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.setAccountQuotas, ({ params, body }) => setQuotas(params.accountId!, body));
