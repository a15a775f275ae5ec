import { api } from '../lib/http/api';
import { openApiDocument } from '../lib/http/openapi';
import { routes } from '../lib/http/routes';

export const handler = api(routes.getOpenApi, () => openApiDocument());
