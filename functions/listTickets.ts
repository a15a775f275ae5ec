import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { listTickets } from '../lib/tickets';

export const handler = api(routes.listTickets, ({ principal, query }) => listTickets(principal, query));
