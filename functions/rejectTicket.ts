import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { rejectTicket } from '../lib/tickets';

export const handler = api(routes.rejectTicket, ({ principal, params, body }) =>
  rejectTicket(principal, params.ticketId!, body.reason),
);
