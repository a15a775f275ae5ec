/**
 * A CEN's page (SPEC §7.4): its networks, bandwidth packages and region connections in three tabs,
 * and Check Bandwidth. Every change goes through a dialog; after it the page re-reads the lists.
 */
import { useId, useState } from 'preact/hooks';
import type { AreaId, BandwidthPackage, Cen, Connection, Network, Order, RegionId } from './api';
import { type ApiError, toApiError } from './api';
import {
  areaOptions,
  Checkbox,
  type Cycle,
  Dialog,
  day,
  ErrorAlert,
  NumberField,
  PeriodFields,
  regionOptions,
  SelectField,
  Table,
  TextField,
  time,
  useLoad,
  useSession,
} from './ui';

const TABS = [
  { slug: 'networks', label: 'Networks' },
  { slug: 'packages', label: 'Bandwidth Packages' },
  { slug: 'connections', label: 'Region Connections' },
] as const;

export function CenPage(props: { cenId: string; tab?: string }) {
  const { api } = useSession();
  const { cenId } = props;
  const cen = useLoad(() => api.cen(cenId), [cenId]);
  const selected = Math.max(
    0,
    TABS.findIndex((t) => t.slug === props.tab),
  );
  const base = useId();
  const tabId = (i: number) => `${base}-tab-${i}`;
  const select = (i: number, focus = false) => {
    history.replaceState(null, '', `#/cens/${cenId}/${TABS[i]!.slug}`);
    dispatchEvent(new HashChangeEvent('hashchange'));
    if (focus) requestAnimationFrame(() => document.getElementById(tabId(i))?.focus());
  };
  const onKey = (e: KeyboardEvent) => {
    const moves: Record<string, number> = {
      ArrowRight: selected + 1,
      ArrowLeft: selected - 1,
      Home: 0,
      End: TABS.length - 1,
    };
    const to = moves[e.key];
    if (to === undefined) return;
    e.preventDefault();
    select((to + TABS.length) % TABS.length, true);
  };
  return (
    <>
      <h1>{cen.data?.name ?? (cen.error ? 'CEN instance' : '…')}</h1>
      <p class="meta">
        CEN ID: <code>{cenId}</code>
        {cen.data && <> · {cen.data.status}</>}
        {cen.data?.description && <> · {cen.data.description}</>}
      </p>
      <ErrorAlert error={cen.error} />
      {cen.data && (
        <>
          <div role="tablist" aria-label="CEN resources" onKeyDown={onKey}>
            {TABS.map((t, i) => (
              <button
                key={t.slug}
                type="button"
                role="tab"
                id={tabId(i)}
                aria-selected={i === selected}
                aria-controls={`${base}-panel`}
                tabIndex={i === selected ? 0 : -1}
                onClick={() => select(i)}
              >
                {t.label}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`${base}-panel`} aria-labelledby={tabId(selected)}>
            {selected === 0 && <NetworksTab cen={cen.data} />}
            {selected === 1 && <PackagesTab cen={cen.data} />}
            {selected === 2 && <ConnectionsTab cen={cen.data} />}
          </div>
        </>
      )}
    </>
  );
}

/* ---------- Networks ---------- */

function NetworksTab({ cen }: { cen: Cen }) {
  const { api, regions } = useSession();
  const networks = useLoad(() => api.networks(cen.cenId), [cen.cenId]);
  const [dialog, setDialog] = useState<{ kind: 'attach' } | { kind: 'detach'; network: Network } | null>(
    null,
  );
  const [form, setForm] = useState({
    networkId: '',
    networkType: 'VPC',
    regionId: regions[0]!.regionId as string,
  });
  const close = (done: boolean) => {
    setDialog(null);
    if (done) networks.reload();
  };
  const regionName = (id: string) => regionOptions(regions).find((o) => o.value === id)?.label ?? id;
  return (
    <>
      <ErrorAlert error={networks.error} />
      <div class="toolbar">
        <button type="button" class="primary" onClick={() => setDialog({ kind: 'attach' })}>
          Attach Network
        </button>
      </div>
      <Table
        caption="Networks"
        headers={['Network ID', 'Type', 'Region', 'Attached', 'Actions']}
        empty={networks.data ? 'No networks attached.' : 'Loading…'}
      >
        {(networks.data ?? []).map((n) => (
          <tr key={n.networkId}>
            <td>{n.networkId}</td>
            <td>{n.networkType}</td>
            <td>{regionName(n.regionId)}</td>
            <td class="nowrap">{time(n.attachedAt)}</td>
            <td class="actions">
              <button type="button" onClick={() => setDialog({ kind: 'detach', network: n })}>
                Detach
              </button>
            </td>
          </tr>
        ))}
      </Table>
      {dialog?.kind === 'attach' && (
        <Dialog
          title="Attach Network"
          onClose={close}
          onConfirm={() =>
            api.attachNetwork(cen.cenId, {
              networkId: form.networkId,
              networkType: form.networkType as Network['networkType'],
              regionId: form.regionId as RegionId,
            })
          }
        >
          <TextField
            label="Network ID"
            value={form.networkId}
            onInput={(networkId) => setForm({ ...form, networkId })}
            required
            maxLength={64}
            pattern="[A-Za-z0-9_\-]{1,64}"
          />
          <SelectField
            label="Network Type"
            value={form.networkType}
            options={['VPC', 'VBR', 'CCN'].map((t) => ({ value: t, label: t }))}
            onChange={(networkType) => setForm({ ...form, networkType })}
          />
          <SelectField
            label="Region"
            value={form.regionId}
            options={regionOptions(regions)}
            onChange={(regionId) => setForm({ ...form, regionId })}
          />
        </Dialog>
      )}
      {dialog?.kind === 'detach' && (
        <Dialog
          title="Detach Network"
          onClose={close}
          onConfirm={() => api.detachNetwork(cen.cenId, dialog.network.networkId)}
        >
          <p>
            Detach <code>{dialog.network.networkId}</code> from <code>{cen.cenId}</code>?
          </p>
        </Dialog>
      )}
    </>
  );
}

/* ---------- Bandwidth Packages ---------- */

type PackageDialog =
  | { kind: 'buy' }
  | { kind: 'bind' | 'unbind' | 'orders' | 'delete'; pkg: BandwidthPackage }
  | { kind: 'Upgrade' | 'Downgrade'; pkg: BandwidthPackage }
  | { kind: 'renew'; pkg: BandwidthPackage };

/** The packages bound to this CEN, then the account's idle ones (which could be bound). */
async function cenPackages(api: ReturnType<typeof useSession>['api'], cenId: string) {
  const [bound, idle] = await Promise.all([api.packages({ cenId }), api.packages({ status: 'Idle' })]);
  const seen = new Set(bound.map((p) => p.bandwidthPackageId));
  return [...bound, ...idle.filter((p) => !seen.has(p.bandwidthPackageId))];
}

function PackagesTab({ cen }: { cen: Cen }) {
  const { api, areas } = useSession();
  const packages = useLoad(() => cenPackages(api, cen.cenId), [cen.cenId]);
  const [dialog, setDialog] = useState<PackageDialog | null>(null);
  const [notice, setNotice] = useState('');
  const areaName = (id: AreaId) => areas.find((a) => a.areaId === id)?.name ?? id;
  const close = (done: boolean) => {
    setDialog(null);
    if (done) packages.reload();
  };
  const open = (d: PackageDialog) => {
    setNotice('');
    setDialog(d);
  };
  return (
    <>
      <ErrorAlert error={packages.error} />
      <p role="status" class="notice">
        {notice}
      </p>
      <div class="toolbar">
        <button type="button" class="primary" onClick={() => open({ kind: 'buy' })}>
          Buy Bandwidth Package (Subscription)
        </button>
      </div>
      <Table
        caption="Bandwidth Packages"
        headers={[
          'ID',
          'Name',
          'Areas',
          'Bandwidth (Mbps)',
          'Remaining (Mbps)',
          'Status',
          'Expires',
          'Actions',
        ]}
        empty={packages.data ? 'No packages bound to this CEN, and no idle packages.' : 'Loading…'}
      >
        {(packages.data ?? []).map((p) => (
          <tr key={p.bandwidthPackageId}>
            <td>{p.bandwidthPackageId}</td>
            <td>{p.name ?? ''}</td>
            <td>
              {areaName(p.areaA)} ↔ {areaName(p.areaB)}
              {p.isCrossBorder && <span class="tag">cross-border</span>}
            </td>
            <td class="number">
              {p.bandwidthMbps}{' '}
              <button type="button" onClick={() => open({ kind: 'Upgrade', pkg: p })}>
                Upgrade
              </button>
              {p.isCrossBorder ? (
                <span class="note">no downgrade (cross-border)</span>
              ) : (
                <button type="button" onClick={() => open({ kind: 'Downgrade', pkg: p })}>
                  Downgrade
                </button>
              )}
            </td>
            <td class="number">{p.remainingMbps}</td>
            <td>
              {p.status} · {p.businessStatus}
            </td>
            <td class="nowrap">{day(p.expiresAt)}</td>
            <td class="actions">
              {p.status === 'Idle' && (
                <button type="button" onClick={() => open({ kind: 'bind', pkg: p })}>
                  Bind
                </button>
              )}
              {p.cenId === cen.cenId && (
                <button type="button" onClick={() => open({ kind: 'unbind', pkg: p })}>
                  Unbind
                </button>
              )}
              <button type="button" onClick={() => open({ kind: 'renew', pkg: p })}>
                Renew
              </button>
              <button type="button" onClick={() => open({ kind: 'orders', pkg: p })}>
                Orders
              </button>
              <button type="button" onClick={() => open({ kind: 'delete', pkg: p })}>
                Delete
              </button>
            </td>
          </tr>
        ))}
      </Table>
      {dialog?.kind === 'buy' && <BuyDialog cen={cen} onClose={close} />}
      {dialog?.kind === 'bind' && (
        <Dialog
          title="Bind Bandwidth Package"
          onClose={close}
          onConfirm={() => api.bind(dialog.pkg.bandwidthPackageId, { cenId: cen.cenId })}
        >
          <p>
            Bind <code>{dialog.pkg.bandwidthPackageId}</code> to <code>{cen.cenId}</code>?
          </p>
        </Dialog>
      )}
      {dialog?.kind === 'unbind' && (
        <Dialog
          title="Unbind Bandwidth Package"
          onClose={close}
          onConfirm={() => api.unbind(dialog.pkg.bandwidthPackageId, { cenId: cen.cenId })}
        >
          <p>
            Unbind <code>{dialog.pkg.bandwidthPackageId}</code> from <code>{cen.cenId}</code>? An unbound
            package stays billed.
          </p>
        </Dialog>
      )}
      {(dialog?.kind === 'Upgrade' || dialog?.kind === 'Downgrade') && (
        <BandwidthDialog title={dialog.kind} pkg={dialog.pkg} onClose={close} />
      )}
      {dialog?.kind === 'renew' && <RenewDialog pkg={dialog.pkg} onClose={close} />}
      {dialog?.kind === 'orders' && <OrdersDialog pkg={dialog.pkg} onClose={close} />}
      {dialog?.kind === 'delete' && (
        <DeleteDialog
          pkg={dialog.pkg}
          onClose={close}
          onTicket={(ticketId) =>
            setNotice(
              `Ticket ${ticketId} opened to delete ${dialog.pkg.bandwidthPackageId}; an operator approves it.`,
            )
          }
        />
      )}
    </>
  );
}

function BuyDialog(props: { cen: Cen; onClose: (done: boolean) => void }) {
  const { api, areas } = useSession();
  const [f, setF] = useState({
    areaA: areas[0]!.areaId as string,
    areaB: areas[0]!.areaId as string,
    bandwidth: '',
    name: '',
    cycle: 'Month' as Cycle,
    period: '1',
    autoRenew: false,
  });
  return (
    <Dialog
      title="Buy Bandwidth Package (Subscription)"
      confirm="Buy Now"
      onClose={props.onClose}
      onConfirm={() =>
        api.buyPackage({
          areaA: f.areaA as AreaId,
          areaB: f.areaB as AreaId,
          bandwidthMbps: Number(f.bandwidth),
          ...(f.name ? { name: f.name } : {}),
          pricingCycle: f.cycle,
          period: Number(f.period),
          autoRenew: f.autoRenew,
          cenId: props.cen.cenId,
        })
      }
    >
      <SelectField
        label="Area A"
        value={f.areaA}
        options={areaOptions(areas)}
        onChange={(areaA) => setF({ ...f, areaA })}
      />
      <SelectField
        label="Area B"
        value={f.areaB}
        options={areaOptions(areas)}
        onChange={(areaB) => setF({ ...f, areaB })}
      />
      <NumberField
        label="Bandwidth (Mbps)"
        value={f.bandwidth}
        min={2}
        max={10000}
        onInput={(bandwidth) => setF({ ...f, bandwidth })}
      />
      <TextField label="Name" value={f.name} maxLength={128} onInput={(name) => setF({ ...f, name })} />
      <PeriodFields
        cycle={f.cycle}
        period={f.period}
        onChange={(cycle, period) => setF({ ...f, cycle, period })}
      />
      <Checkbox
        label="Auto-Renew"
        checked={f.autoRenew}
        onChange={(autoRenew) => setF({ ...f, autoRenew })}
      />
      <p class="hint">The package is bound to {props.cen.name} at once.</p>
    </Dialog>
  );
}

function BandwidthDialog(props: {
  title: 'Upgrade' | 'Downgrade';
  pkg: BandwidthPackage;
  onClose: (done: boolean) => void;
}) {
  const { api } = useSession();
  const [bandwidth, setBandwidth] = useState(String(props.pkg.bandwidthMbps));
  return (
    <Dialog
      title={props.title}
      confirm="Pay"
      onClose={props.onClose}
      onConfirm={() =>
        api.changeBandwidth(props.pkg.bandwidthPackageId, { bandwidthMbps: Number(bandwidth) })
      }
    >
      <p>
        <code>{props.pkg.bandwidthPackageId}</code>: {props.pkg.bandwidthMbps} Mbps now,{' '}
        {props.pkg.allocatedMbps} Mbps allocated.
      </p>
      <NumberField label="Bandwidth (Mbps)" value={bandwidth} min={2} max={10000} onInput={setBandwidth} />
    </Dialog>
  );
}

function RenewDialog(props: { pkg: BandwidthPackage; onClose: (done: boolean) => void }) {
  const { api } = useSession();
  const [cycle, setCycle] = useState<Cycle>('Month');
  const [period, setPeriod] = useState('1');
  return (
    <Dialog
      title="Renew"
      confirm="Pay"
      onClose={props.onClose}
      onConfirm={() =>
        api.renew(props.pkg.bandwidthPackageId, { pricingCycle: cycle, period: Number(period) })
      }
    >
      <p>
        <code>{props.pkg.bandwidthPackageId}</code> expires {day(props.pkg.expiresAt)} (
        {props.pkg.businessStatus}).
      </p>
      <PeriodFields
        cycle={cycle}
        period={period}
        onChange={(c, p) => {
          setCycle(c);
          setPeriod(p);
        }}
      />
    </Dialog>
  );
}

function OrdersDialog(props: { pkg: BandwidthPackage; onClose: (done: boolean) => void }) {
  const { api } = useSession();
  const orders = useLoad(() => api.orders(props.pkg.bandwidthPackageId), [props.pkg.bandwidthPackageId]);
  return (
    <Dialog title="Orders" cancel={false} onClose={() => props.onClose(false)} onConfirm={() => undefined}>
      <ErrorAlert error={orders.error} />
      <Table
        caption="Orders"
        headers={['Order ID', 'Type', 'Bandwidth (Mbps)', 'Expires', 'Time']}
        empty={orders.data ? 'No orders.' : 'Loading…'}
      >
        {(orders.data ?? []).map((o: Order) => (
          <tr key={o.orderId}>
            <td>{o.orderId}</td>
            <td>{o.type}</td>
            <td class="number">
              {o.bandwidthMbpsAfter}
              {o.bandwidthMbpsBefore !== null && o.bandwidthMbpsBefore !== o.bandwidthMbpsAfter && (
                <> (was {o.bandwidthMbpsBefore})</>
              )}
            </td>
            <td class="nowrap">{day(o.expiresAtAfter)}</td>
            <td class="nowrap">{time(o.createdAt)}</td>
          </tr>
        ))}
      </Table>
    </Dialog>
  );
}

function DeleteDialog(props: {
  pkg: BandwidthPackage;
  onClose: (done: boolean) => void;
  onTicket: (id: string) => void;
}) {
  const { api } = useSession();
  const [reason, setReason] = useState('');
  return (
    <Dialog
      title="Delete Bandwidth Package"
      onClose={props.onClose}
      onConfirm={async () => {
        const ticket = await api.createTicket({
          type: 'DeleteBandwidthPackage',
          bandwidthPackageId: props.pkg.bandwidthPackageId,
          ...(reason ? { reason } : {}),
        });
        props.onTicket(ticket.ticketId);
      }}
    >
      <p>
        A subscription package is deleted by a ticket: this opens one for{' '}
        <code>{props.pkg.bandwidthPackageId}</code>, and an operator approves it. Approval deletes the package
        only if it is unbound and has no region connections.
      </p>
      <TextField label="Reason" value={reason} onInput={setReason} maxLength={256} />
    </Dialog>
  );
}

/* ---------- Region Connections ---------- */

function ConnectionsTab({ cen }: { cen: Cen }) {
  const { api, regions } = useSession();
  const data = useLoad(
    () => Promise.all([api.connections(cen.cenId), api.packages({ cenId: cen.cenId })]),
    [cen.cenId],
  );
  const [connections, bound] = data.data ?? [undefined, []];
  const [dialog, setDialog] = useState<
    { kind: 'set' } | { kind: 'modify' | 'delete'; connection: Connection } | null
  >(null);
  const close = (done: boolean) => {
    setDialog(null);
    if (done) data.reload();
  };
  const regionName = (id: string) => regionOptions(regions).find((o) => o.value === id)?.label ?? id;
  return (
    <>
      <ErrorAlert error={data.error} />
      <div class="toolbar">
        <button type="button" class="primary" onClick={() => setDialog({ kind: 'set' })}>
          Set Region Connection
        </button>
      </div>
      <Table
        caption="Region Connections"
        headers={['ID', 'Region A', 'Region B', 'Bandwidth (Mbps)', 'Bandwidth Package', 'Status']}
        empty={connections ? 'No region connections.' : 'Loading…'}
      >
        {(connections ?? []).map((c) => (
          <tr key={c.connectionId}>
            <td>{c.connectionId}</td>
            <td>{regionName(c.regionA)}</td>
            <td>{regionName(c.regionB)}</td>
            <td class="number">
              {c.bandwidthMbps}{' '}
              <button type="button" onClick={() => setDialog({ kind: 'modify', connection: c })}>
                Modify
              </button>
              <button type="button" onClick={() => setDialog({ kind: 'delete', connection: c })}>
                Delete
              </button>
            </td>
            <td>{c.bandwidthPackageId}</td>
            <td>{c.status}</td>
          </tr>
        ))}
      </Table>
      {dialog?.kind === 'set' && <SetConnectionDialog cen={cen} bound={bound} onClose={close} />}
      {dialog?.kind === 'modify' && <ModifyDialog cen={cen} connection={dialog.connection} onClose={close} />}
      {dialog?.kind === 'delete' && (
        <Dialog
          title="Delete Region Connection"
          onClose={close}
          onConfirm={() => api.deleteConnection(cen.cenId, dialog.connection.connectionId)}
        >
          <p>
            Delete <code>{dialog.connection.connectionId}</code>? Its {dialog.connection.bandwidthMbps} Mbps
            go back to <code>{dialog.connection.bandwidthPackageId}</code>.
          </p>
        </Dialog>
      )}
      <CheckBandwidth cen={cen} />
    </>
  );
}

function SetConnectionDialog(props: {
  cen: Cen;
  bound: BandwidthPackage[];
  onClose: (done: boolean) => void;
}) {
  const { api, regions } = useSession();
  const [f, setF] = useState({
    packageId: '',
    regionA: regions[0]!.regionId as string,
    regionB: regions[0]!.regionId as string,
    bandwidth: '',
  });
  // The first bound package until one is chosen (the list may arrive after the dialog opens).
  const packageId = f.packageId || (props.bound[0]?.bandwidthPackageId ?? '');
  const chosen = props.bound.find((p) => p.bandwidthPackageId === packageId);
  return (
    <Dialog
      title="Set Region Connection"
      onClose={props.onClose}
      onConfirm={() =>
        api.createConnection(props.cen.cenId, {
          regionA: f.regionA as RegionId,
          regionB: f.regionB as RegionId,
          bandwidthMbps: Number(f.bandwidth),
          ...(packageId ? { bandwidthPackageId: packageId } : {}),
        })
      }
    >
      <SelectField
        label="Bandwidth Package"
        value={packageId}
        options={props.bound.map((p) => ({
          value: p.bandwidthPackageId,
          label: `${p.name ? `${p.name} ` : ''}(${p.bandwidthPackageId}), ${p.geographicSpanId}`,
        }))}
        onChange={(packageId) => setF({ ...f, packageId })}
      />
      <p class="hint">
        {chosen ? `Remaining bandwidth: ${chosen.remainingMbps} Mbps` : 'No package is bound to this CEN.'}
      </p>
      <SelectField
        label="Region A"
        value={f.regionA}
        options={regionOptions(regions)}
        onChange={(regionA) => setF({ ...f, regionA })}
      />
      <SelectField
        label="Region B"
        value={f.regionB}
        options={regionOptions(regions)}
        onChange={(regionB) => setF({ ...f, regionB })}
      />
      <NumberField
        label="Bandwidth (Mbps)"
        value={f.bandwidth}
        min={1}
        max={10000}
        onInput={(bandwidth) => setF({ ...f, bandwidth })}
      />
    </Dialog>
  );
}

function ModifyDialog(props: { cen: Cen; connection: Connection; onClose: (done: boolean) => void }) {
  const { api } = useSession();
  const [bandwidth, setBandwidth] = useState(String(props.connection.bandwidthMbps));
  return (
    <Dialog
      title="Modify Region Connection"
      onClose={props.onClose}
      onConfirm={() =>
        api.updateConnection(props.cen.cenId, props.connection.connectionId, {
          bandwidthMbps: Number(bandwidth),
        })
      }
    >
      <p>
        <code>{props.connection.connectionId}</code>
      </p>
      <NumberField label="Bandwidth (Mbps)" value={bandwidth} min={1} max={10000} onInput={setBandwidth} />
    </Dialog>
  );
}

function CheckBandwidth({ cen }: { cen: Cen }) {
  const { api, regions } = useSession();
  const titleId = useId();
  const [regionA, setRegionA] = useState(regions[0]!.regionId as string);
  const [regionB, setRegionB] = useState(regions[0]!.regionId as string);
  const [result, setResult] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const check = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setResult('');
    try {
      const r = await api.effectiveBandwidth(cen.cenId, regionA, regionB);
      setResult(
        r.source === 'SameRegion'
          ? 'Same region: no limit'
          : r.source === 'Default'
            ? '1 Kbps (default)'
            : `${r.bandwidthKbps! / 1000} Mbps (${r.bandwidthKbps} Kbps)`,
      );
    } catch (err) {
      setError(toApiError(err));
    }
  };
  return (
    <form aria-labelledby={titleId} class="check" onSubmit={check}>
      <h2 id={titleId}>Check Bandwidth</h2>
      <div class="row">
        <SelectField
          label="Region A"
          value={regionA}
          options={regionOptions(regions)}
          onChange={setRegionA}
        />
        <SelectField
          label="Region B"
          value={regionB}
          options={regionOptions(regions)}
          onChange={setRegionB}
        />
        <button type="submit">Check</button>
      </div>
      <ErrorAlert error={error} />
      <p role="status" class="result">
        {result}
      </p>
    </form>
  );
}
