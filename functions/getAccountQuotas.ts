import { getQuotas } from '../lib/accounts';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.getAccountQuotas, ({ params }) => getQuotas(params.accountId!));
