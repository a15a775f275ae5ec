import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { createTicket } from '../lib/tickets';

export const handler = api(routes.createTicket, ({ principal, body }) => createTicket(principal, body));
