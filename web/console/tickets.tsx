/** The Tickets page (SPEC §7.5): deletion tickets; an operator approves or rejects the open ones. */
import { useState } from 'preact/hooks';
import type { Ticket } from './api';
import { Dialog, ErrorAlert, Table, TextField, time, useLoad, useSession } from './ui';

export function TicketsPage() {
  const { api, role } = useSession();
  const tickets = useLoad(() => api.tickets(), []);
  const [dialog, setDialog] = useState<{ kind: 'approve' | 'reject'; ticket: Ticket } | null>(null);
  const [reason, setReason] = useState('');
  const close = (done: boolean) => {
    setDialog(null);
    if (done) tickets.reload();
  };
  return (
    <>
      <h1>Tickets</h1>
      <p class="hint">
        A subscription bandwidth package is deleted by a ticket that an operator approves; approval deletes it
        only if it is unbound and has no region connections.
      </p>
      <ErrorAlert error={tickets.error} />
      <Table
        caption="Tickets"
        headers={[
          'Ticket ID',
          'Type',
          'Bandwidth Package',
          'Status',
          'Reason',
          'Resolution',
          'Created',
          'Actions',
        ]}
        empty={tickets.data ? 'No tickets.' : 'Loading…'}
      >
        {(tickets.data ?? []).map((t) => (
          <tr key={t.ticketId}>
            <td>{t.ticketId}</td>
            <td>{t.type}</td>
            <td>{t.bandwidthPackageId}</td>
            <td>{t.status}</td>
            <td>{t.reason ?? ''}</td>
            <td>{t.resolution ?? ''}</td>
            <td class="nowrap">{time(t.createdAt)}</td>
            <td class="actions">
              {role === 'operator' && t.status === 'Open' && (
                <>
                  <button type="button" onClick={() => setDialog({ kind: 'approve', ticket: t })}>
                    Approve
                  </button>
                  <button
                    type="button"
                    onClick={() => {
                      setReason('');
                      setDialog({ kind: 'reject', ticket: t });
                    }}
                  >
                    Reject
                  </button>
                </>
              )}
            </td>
          </tr>
        ))}
      </Table>
      {dialog?.kind === 'approve' && (
        <Dialog
          title="Approve Ticket"
          onClose={close}
          onConfirm={() => api.approveTicket(dialog.ticket.ticketId)}
        >
          <p>
            Approve <code>{dialog.ticket.ticketId}</code>: delete bandwidth package{' '}
            <code>{dialog.ticket.bandwidthPackageId}</code>.
          </p>
        </Dialog>
      )}
      {dialog?.kind === 'reject' && (
        <Dialog
          title="Reject Ticket"
          onClose={close}
          onConfirm={() => api.rejectTicket(dialog.ticket.ticketId, reason ? { reason } : {})}
        >
          <TextField label="Reason" value={reason} onInput={setReason} maxLength={256} />
        </Dialog>
      )}
    </>
  );
}
