import { attachNetwork } from '../lib/cens';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.attachNetwork, ({ principal, params, body }) =>
  attachNetwork(principal, params.cenId!, body),
);
