import { api } from '../lib/http/api';
import { routes } from '../lib/http/routes';
import { approveTicket } from '../lib/tickets';

export const handler = api(routes.approveTicket, ({ principal, params }) =>
  approveTicket(principal, params.ticketId!),
);
