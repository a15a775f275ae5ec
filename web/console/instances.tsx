/** The Instances page (SPEC §7.3): the account's CEN instances, create and delete. */
import { useState } from 'preact/hooks';
import type { Cen } from './api';
import { Dialog, ErrorAlert, Table, TextField, time, useLoad, useSession } from './ui';

export function InstancesPage() {
  const { api } = useSession();
  const cens = useLoad(() => api.cens(), []);
  const [dialog, setDialog] = useState<{ kind: 'create' } | { kind: 'delete'; cen: Cen } | null>(null);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const close = (done: boolean) => {
    setDialog(null);
    if (done) cens.reload();
  };
  return (
    <>
      <h1>Instances</h1>
      <ErrorAlert error={cens.error} />
      <div class="toolbar">
        <button
          type="button"
          class="primary"
          onClick={() => {
            setName('');
            setDescription('');
            setDialog({ kind: 'create' });
          }}
        >
          Create CEN Instance
        </button>
      </div>
      <Table
        caption="CEN Instances"
        headers={['ID', 'Name', 'Description', 'Status', 'Created', 'Actions']}
        empty={cens.data ? 'No CEN instances yet.' : 'Loading…'}
      >
        {(cens.data ?? []).map((cen) => (
          <tr key={cen.cenId}>
            <td>
              <a href={`#/cens/${cen.cenId}`}>{cen.cenId}</a>
            </td>
            <td>{cen.name}</td>
            <td>{cen.description ?? ''}</td>
            <td>{cen.status}</td>
            <td class="nowrap">{time(cen.createdAt)}</td>
            <td class="actions">
              <a href={`#/cens/${cen.cenId}`}>Manage</a>
              <button type="button" onClick={() => setDialog({ kind: 'delete', cen })}>
                Delete
              </button>
            </td>
          </tr>
        ))}
      </Table>
      {dialog?.kind === 'create' && (
        <Dialog
          title="Create CEN Instance"
          onClose={close}
          onConfirm={() => api.createCen(description ? { name, description } : { name })}
        >
          <TextField label="Name" value={name} onInput={setName} required maxLength={128} />
          <TextField label="Description" value={description} onInput={setDescription} maxLength={256} />
        </Dialog>
      )}
      {dialog?.kind === 'delete' && (
        <Dialog title="Delete CEN Instance" onClose={close} onConfirm={() => api.deleteCen(dialog.cen.cenId)}>
          <p>
            Delete <strong>{dialog.cen.name}</strong> (<code>{dialog.cen.cenId}</code>)? A CEN with networks
            or bandwidth packages cannot be deleted.
          </p>
        </Dialog>
      )}
    </>
  );
}
