import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { getTicket } from '../lib/tickets';

export const handler = api(routes.getTicket, ({ principal, params }) =>
  getTicket(principal, params.ticketId!),
);
