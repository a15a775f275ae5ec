import { deleteCen } from '../lib/cens';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.deleteCen, ({ principal, params }) => deleteCen(principal, params.cenId!));
