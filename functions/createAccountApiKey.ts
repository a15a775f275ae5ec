import { issueApiKey } from '../lib/accounts';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.createAccountApiKey, ({ params, body }) =>
  issueApiKey(params.accountId!, body.role),
);
