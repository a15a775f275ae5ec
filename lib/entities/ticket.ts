/**
 * The stored deletion ticket (rule 9), parsed where it is read (lib/tickets.ts): the ticket the API
 * answers with, plus its keys, its account and who resolved it.
 */
import { z } from 'zod';
import { TicketResource } from '../schemas';

export const StoredTicket = TicketResource.extend({
  PK: z.string(),
  SK: z.string(),
  entity: z.literal('Ticket'),
  accountId: z.string(),
  resolvedBy: z.string().optional(),
});
export type StoredTicket = z.infer<typeof StoredTicket>;
