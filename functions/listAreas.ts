import { listAreas } from '../lib/catalogue';
import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';

export const handler = api(routes.listAreas, () => listAreas());
