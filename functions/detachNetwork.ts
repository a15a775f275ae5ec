import { detachNetwork } from '../lib/cens';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.detachNetwork, ({ principal, params }) =>
  detachNetwork(principal, params.cenId!, params.networkId!),
);
