/// <reference lib="dom" />
/**
 * The web console in Chromium (SPEC §7), found by ARIA role and accessible name only: every flow
 * of the console walkthroughs, each outcome checked on screen and through the API, with axe-core
 * on every page, a clean browser log, and the buy and set-region-connection dialogs completed by
 * keyboard alone. One browser; each test has its own context and fresh accounts.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consoleUrl,
  expectAccessible,
  isFocused,
  launch,
  poll,
  rowOf,
  screenshot,
  signIn,
  Watched,
} from '../support/browser';
import { newTenant, type Tenant } from '../support/fixtures';
import { api } from '../support/http';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

const dialog = (page: Page, name: string) => page.getByRole('dialog', { name });
const table = (scope: Page | Locator, name: string) => scope.getByRole('table', { name });
const text = async (locator: Locator) => (await locator.textContent()) ?? '';
const cellText = (row: Locator, column: number) => text(row.getByRole('cell').nth(column));

/** Open a dialog with a button (of the page or of a row) and wait for it. */
async function openDialog(page: Page, button: Locator, name: string): Promise<Locator> {
  await button.click();
  const d = dialog(page, name);
  await d.waitFor();
  return d;
}

async function confirm(d: Locator, name = 'OK') {
  await d.getByRole('button', { name }).click();
  await d.waitFor({ state: 'detached' });
}

/** The dialog refused: its alert shows the code, and it stays open. */
async function expectRefused(d: Locator, code: string) {
  const alert = d.getByRole('alert');
  await alert.waitFor();
  expect(await text(alert)).toContain(code);
  expect(await d.isVisible()).toBe(true);
}

async function openCen(page: Page, cenId: string, name: string) {
  await rowOf(table(page, 'CEN Instances'), cenId).getByRole('link', { name: 'Manage' }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

async function openTab(page: Page, name: string) {
  await page.getByRole('tab', { name }).click();
  expect(await page.getByRole('tab', { name }).getAttribute('aria-selected')).toBe('true');
  await page.getByRole('tabpanel', { name }).waitFor();
}

describe('the web console', () => {
  it('signs in with a key kept in sessionStorage only, refuses an unknown key, and signs out', async () => {
    const t = await newTenant();
    const w = await Watched.open(browser);
    const { page } = w;
    await page.goto(consoleUrl());
    await expectAccessible(page, 'sign-in');
    await screenshot(page, 'sign-in');

    await page.getByLabel('API key').fill('not-a-key');
    await page.getByLabel('API key').press('Enter');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await text(alert)).toContain('Unauthorized');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    await page.getByLabel('API key').fill(t.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Instances' }).waitFor();
    const nav = page.getByRole('navigation');
    for (const name of ['Instances', 'Tickets']) await nav.getByRole('link', { name }).waitFor();
    await nav.getByRole('button', { name: 'Sign out' }).waitFor();
    const stored = await page.evaluate(() => ({
      session: Object.values(sessionStorage),
      local: localStorage.length,
      cookie: document.cookie,
      url: location.href,
    }));
    expect(stored.session).toEqual([t.apiKey]);
    expect(stored).toMatchObject({ local: 0, cookie: '' });
    expect(stored.url).not.toContain(t.apiKey);
    expect((await t.apiKey.length) > 0).toBe(true);

    const loaded = () =>
      table(page, 'CEN Instances').getByRole('cell', { name: 'No CEN instances yet.' }).waitFor();
    await loaded(); // nothing in flight that the reload would abort
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Instances' }).waitFor();
    await loaded();
    await page.getByRole('navigation').getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await w.expectCleanLog(['Unauthorized']);
    await w.close();
  });

  let shared: { tenant: Tenant; cenId: string; ticketId: string; packageId: string };

  it('runs the walkthroughs: CEN, network, buy and bind, connections, upgrade, renew, orders, unbind, ticket', async () => {
    const t = await newTenant();
    const a = api(t.apiKey);
    const w = await Watched.open(browser);
    const { page } = w;
    await signIn(page, t.apiKey);

    // Create a CEN instance (and one to delete).
    const name = unique('prod');
    for (const n of [name, unique('scratch')]) {
      const d = await openDialog(
        page,
        page.getByRole('button', { name: 'Create CEN Instance' }),
        'Create CEN Instance',
      );
      await d.getByLabel('Name').fill(n);
      await d.getByLabel('Description').fill('made in the console');
      if (n === name) await expectAccessible(page, 'Create CEN Instance dialog');
      await confirm(d);
      await table(page, 'CEN Instances').getByRole('row').filter({ hasText: n }).waitFor();
    }
    const cens = (await a.get('/cens')).body.items as { cenId: string; name: string }[];
    const cenId = cens.find((c) => c.name === name)!.cenId;
    const scratch = cens.find((c) => c.name !== name)!.cenId;
    const cenRow = rowOf(table(page, 'CEN Instances'), cenId);
    expect(await cellText(cenRow, 0)).toBe(cenId);
    expect(await cellText(cenRow, 1)).toBe(name);
    expect(await cellText(cenRow, 3)).toBe('Active');
    await expectAccessible(page, 'Instances');
    await screenshot(page, 'instances');

    // Delete one: Cancel and Escape send nothing; OK deletes.
    const scratchRow = rowOf(table(page, 'CEN Instances'), scratch);
    let d = await openDialog(page, scratchRow.getByRole('button', { name: 'Delete' }), 'Delete CEN Instance');
    await d.getByRole('button', { name: 'Cancel' }).click();
    await d.waitFor({ state: 'detached' });
    d = await openDialog(page, scratchRow.getByRole('button', { name: 'Delete' }), 'Delete CEN Instance');
    await page.keyboard.press('Escape');
    await d.waitFor({ state: 'detached' });
    expect((await a.get(`/cens/${scratch}`)).status).toBe(200);
    d = await openDialog(page, scratchRow.getByRole('button', { name: 'Delete' }), 'Delete CEN Instance');
    await confirm(d);
    await scratchRow.waitFor({ state: 'detached' });
    expect((await a.get(`/cens/${scratch}`)).status).toBe(404);

    // The CEN page; attach a network, and detach another.
    await openCen(page, cenId, name);
    expect(await text(page.getByRole('main'))).toContain(cenId);
    // The tabs follow the arrow keys.
    await page.getByRole('tab', { name: 'Networks' }).focus();
    await page.keyboard.press('ArrowRight');
    await poll(() => isFocused(page.getByRole('tab', { name: 'Bandwidth Packages' }))).toBe(true);
    expect(await page.getByRole('tab', { name: 'Bandwidth Packages' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    await page.keyboard.press('ArrowLeft');
    await poll(() => isFocused(page.getByRole('tab', { name: 'Networks' }))).toBe(true);
    await openTab(page, 'Networks');
    for (const networkId of ['vpc-web', 'vpc-old']) {
      d = await openDialog(page, page.getByRole('button', { name: 'Attach Network' }), 'Attach Network');
      await d.getByLabel('Network ID').fill(networkId);
      await d.getByLabel('Network Type').selectOption('VPC');
      await d.getByLabel('Region').selectOption('cn-hangzhou');
      if (networkId === 'vpc-web') await expectAccessible(page, 'Attach Network dialog');
      await confirm(d);
      await rowOf(table(page, 'Networks'), networkId).waitFor();
    }
    const networkRow = rowOf(table(page, 'Networks'), 'vpc-web');
    expect(await cellText(networkRow, 1)).toBe('VPC');
    expect(await cellText(networkRow, 2)).toContain('cn-hangzhou');
    d = await openDialog(
      page,
      rowOf(table(page, 'Networks'), 'vpc-old').getByRole('button', { name: 'Detach' }),
      'Detach Network',
    );
    await confirm(d);
    await rowOf(table(page, 'Networks'), 'vpc-old').waitFor({ state: 'detached' });
    const networks = (await a.get(`/cens/${cenId}/networks`)).body.items as { networkId: string }[];
    expect(networks.map((n) => n.networkId)).toEqual(['vpc-web']);
    await expectAccessible(page, 'Networks tab');
    await screenshot(page, 'cen-networks');

    // Buy a cross-border package, bound at once: by keyboard alone.
    await openTab(page, 'Bandwidth Packages');
    const buy = page.getByRole('button', { name: 'Buy Bandwidth Package (Subscription)' });
    await buy.focus();
    await page.keyboard.press('Enter');
    d = dialog(page, 'Buy Bandwidth Package (Subscription)');
    await d.waitFor();
    expect(await isFocused(d.getByLabel('Area A'))).toBe(true);
    expect(await d.getByRole('checkbox', { name: 'Auto-Renew' }).isChecked()).toBe(false);
    await expectAccessible(page, 'Buy dialog');
    await page.keyboard.press('Tab');
    expect(await isFocused(d.getByLabel('Area B'))).toBe(true);
    await page.keyboard.press('ArrowDown'); // Mainland China → North America
    await page.keyboard.press('Tab');
    expect(await isFocused(d.getByRole('spinbutton', { name: 'Bandwidth (Mbps)' }))).toBe(true);
    await page.keyboard.type('100');
    await page.keyboard.press('Tab');
    await page.keyboard.type('cross-border');
    await page.keyboard.press('Tab');
    expect(await isFocused(d.getByLabel('Pricing Cycle'))).toBe(true);
    await page.keyboard.press('Tab');
    expect(await isFocused(d.getByLabel('Duration'))).toBe(true);
    await page.keyboard.press('ArrowDown'); // 1 Month → 2 Months
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    expect(await d.getByRole('checkbox', { name: 'Auto-Renew' }).isChecked()).toBe(true);
    await screenshot(page, 'buy-dialog');
    await page.keyboard.press('Tab');
    expect(await isFocused(d.getByRole('button', { name: 'Buy Now' }))).toBe(true);
    await page.keyboard.press('Enter');
    await d.waitFor({ state: 'detached' });
    const packages = table(page, 'Bandwidth Packages');
    await packages.getByRole('row').filter({ hasText: 'cross-border' }).nth(0).waitFor();
    const bound = (await a.get('/bandwidth-packages', { query: { cenId } })).body.items as any[];
    expect(bound).toHaveLength(1);
    const cross = bound[0];
    expect(cross).toMatchObject({
      areaA: 'China',
      areaB: 'North-America',
      bandwidthMbps: 100,
      name: 'cross-border',
      pricingCycle: 'Month',
      period: 2,
      autoRenew: true,
      status: 'InUse',
      cenId,
    });
    const crossRow = rowOf(packages, cross.bandwidthPackageId);
    expect(await cellText(crossRow, 3)).toMatch(/^100\b/);
    expect(await cellText(crossRow, 4)).toMatch(/^100\b/);
    expect(await cellText(crossRow, 5)).toMatch(/InUse.*Normal/);
    expect(await cellText(crossRow, 6)).toContain(cross.expiresAt.slice(0, 10));
    // A cross-border package has no Downgrade.
    expect(await crossRow.getByRole('button', { name: 'Downgrade', disabled: false }).count()).toBe(0);

    // Bind an idle package bought through the API.
    const idle = (
      await a.post('/bandwidth-packages', { areaA: 'Europe', areaB: 'Asia-Pacific', bandwidthMbps: 50 })
    ).body;
    await openTab(page, 'Networks'); // and back: the tab re-reads its lists
    await openTab(page, 'Bandwidth Packages');
    const idleRow = rowOf(packages, idle.bandwidthPackageId);
    expect(await cellText(idleRow, 5)).toMatch(/Idle.*Normal/);
    d = await openDialog(page, idleRow.getByRole('button', { name: 'Bind' }), 'Bind Bandwidth Package');
    await confirm(d);
    await poll(() => cellText(idleRow, 5)).toMatch(/InUse/);
    expect((await a.get(`/bandwidth-packages/${idle.bandwidthPackageId}`)).body.cenId).toBe(cenId);

    // Set a region connection, by keyboard alone.
    await openTab(page, 'Region Connections');
    await table(page, 'Region Connections').getByRole('cell', { name: 'No region connections.' }).waitFor();
    const set = page.getByRole('button', { name: 'Set Region Connection' });
    await set.focus();
    await page.keyboard.press('Enter');
    d = dialog(page, 'Set Region Connection');
    await d.waitFor();
    const packageField = d.getByLabel('Bandwidth Package');
    expect(await isFocused(packageField)).toBe(true);
    const options = await packageField.evaluate((s: HTMLSelectElement) =>
      Array.from(s.options, (o) => o.value),
    );
    expect(options).toContain(cross.bandwidthPackageId);
    const crossIndex = options.indexOf(cross.bandwidthPackageId);
    for (let i = 0; i < crossIndex; i++) await page.keyboard.press('ArrowDown');
    expect(await packageField.inputValue()).toBe(cross.bandwidthPackageId);
    expect(await text(d)).toContain('Remaining bandwidth: 100 Mbps');
    await page.keyboard.press('Tab');
    expect(await isFocused(d.getByLabel('Region A'))).toBe(true);
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown'); // Qingdao → Hangzhou
    await page.keyboard.press('Tab');
    for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowDown'); // Qingdao → Silicon Valley
    await page.keyboard.press('Tab');
    expect(await isFocused(d.getByRole('spinbutton', { name: 'Bandwidth (Mbps)' }))).toBe(true);
    await page.keyboard.type('10');
    await expectAccessible(page, 'Set Region Connection dialog');
    await page.keyboard.press('Enter');
    await d.waitFor({ state: 'detached' });
    const connections = table(page, 'Region Connections');
    const connectionId = 'cn-hangzhou_us-west-1';
    const connectionRow = rowOf(connections, connectionId);
    await connectionRow.waitFor();
    expect(await cellText(connectionRow, 3)).toMatch(/^10\b/);
    expect(await cellText(connectionRow, 4)).toBe(cross.bandwidthPackageId);
    expect(await cellText(connectionRow, 5)).toBe('Active');
    expect((await a.get(`/cens/${cenId}/region-connections/${connectionId}`)).body).toMatchObject({
      bandwidthMbps: 10,
      bandwidthPackageId: cross.bandwidthPackageId,
    });

    // An over-allocation is refused: the alert in the dialog, every value kept, nothing written.
    d = await openDialog(page, set, 'Set Region Connection');
    await d.getByLabel('Bandwidth Package').selectOption(cross.bandwidthPackageId);
    await d.getByLabel('Region A').selectOption('cn-beijing');
    await d.getByLabel('Region B').selectOption('us-east-1');
    await d.getByRole('spinbutton', { name: 'Bandwidth (Mbps)' }).fill('500');
    await d.getByRole('button', { name: 'OK' }).click();
    await expectRefused(d, 'InvalidOperation.BwpBandwidthExceeded');
    expect(await text(d.getByRole('alert'))).toMatch(/InvalidOperation\.BwpBandwidthExceeded\W+\w+/);
    expect(await d.getByLabel('Region A').inputValue()).toBe('cn-beijing');
    expect(await d.getByLabel('Region B').inputValue()).toBe('us-east-1');
    expect(await d.getByRole('spinbutton', { name: 'Bandwidth (Mbps)' }).inputValue()).toBe('500');
    await expectAccessible(page, 'a refused dialog');
    await screenshot(page, 'refused');
    await d.getByRole('button', { name: 'Cancel' }).click();
    await d.waitFor({ state: 'detached' });
    expect((await a.get(`/cens/${cenId}/region-connections`)).body.items).toHaveLength(1);

    // Modify the connection.
    d = await openDialog(
      page,
      connectionRow.getByRole('button', { name: 'Modify' }),
      'Modify Region Connection',
    );
    const modifyField = d.getByRole('spinbutton', { name: 'Bandwidth (Mbps)' });
    expect(await modifyField.inputValue()).toBe('10');
    await modifyField.fill('20');
    await confirm(d);
    await poll(() => cellText(connectionRow, 3)).toMatch(/^20\b/);
    expect((await a.get(`/cens/${cenId}/region-connections/${connectionId}`)).body.bandwidthMbps).toBe(20);

    // Check Bandwidth: the connection, the default, the same region.
    const check = page.getByRole('form', { name: 'Check Bandwidth' });
    const result = check.getByRole('status');
    for (const [regionA, regionB, expected] of [
      ['cn-hangzhou', 'us-west-1', '20 Mbps (20000 Kbps)'],
      ['cn-beijing', 'us-east-1', '1 Kbps (default)'],
      ['cn-hangzhou', 'cn-hangzhou', 'Same region: no limit'],
    ] as const) {
      await check.getByLabel('Region A').selectOption(regionA);
      await check.getByLabel('Region B').selectOption(regionB);
      await check.getByRole('button', { name: 'Check' }).click();
      await poll(() => text(result)).toBe(expected);
      const effective = (await a.get(`/cens/${cenId}/effective-bandwidth`, { query: { regionA, regionB } }))
        .body;
      expect(effective.bandwidthKbps).toBe(
        expected.startsWith('20') ? 20_000 : expected.startsWith('1 Kbps') ? 1 : null,
      );
    }
    await expectAccessible(page, 'Region Connections tab');
    await screenshot(page, 'cen-region-connections');

    // Upgrade the cross-border package; its downgrade is not offered, another package's is.
    await openTab(page, 'Bandwidth Packages');
    d = await openDialog(page, crossRow.getByRole('button', { name: 'Upgrade' }), 'Upgrade');
    const upgradeField = d.getByRole('spinbutton', { name: 'Bandwidth (Mbps)' });
    expect(await upgradeField.inputValue()).toBe('100');
    await upgradeField.fill('200');
    await expectAccessible(page, 'Upgrade dialog');
    await confirm(d, 'Pay');
    await poll(() => cellText(crossRow, 3)).toMatch(/^200\b/);
    expect(await cellText(crossRow, 4)).toMatch(/^180\b/);
    expect((await a.get(`/bandwidth-packages/${cross.bandwidthPackageId}`)).body).toMatchObject({
      bandwidthMbps: 200,
      remainingMbps: 180,
    });
    d = await openDialog(page, idleRow.getByRole('button', { name: 'Downgrade' }), 'Downgrade');
    await d.getByRole('spinbutton', { name: 'Bandwidth (Mbps)' }).fill('20');
    await confirm(d, 'Pay');
    await poll(() => cellText(idleRow, 3)).toMatch(/^20\b/);
    expect((await a.get(`/bandwidth-packages/${idle.bandwidthPackageId}`)).body.bandwidthMbps).toBe(20);

    // Renew by one year.
    const before = (await a.get(`/bandwidth-packages/${cross.bandwidthPackageId}`)).body.expiresAt as string;
    d = await openDialog(page, crossRow.getByRole('button', { name: 'Renew' }), 'Renew');
    await d.getByLabel('Pricing Cycle').selectOption('Year');
    await d.getByLabel('Duration').selectOption('1');
    await confirm(d, 'Pay');
    const after = (await a.get(`/bandwidth-packages/${cross.bandwidthPackageId}`)).body.expiresAt as string;
    expect(Number(after.slice(0, 4))).toBe(Number(before.slice(0, 4)) + 1);
    await poll(() => cellText(crossRow, 6)).toContain(after.slice(0, 10));
    await expectAccessible(page, 'Bandwidth Packages tab');
    await screenshot(page, 'cen-bandwidth-packages');

    // Orders: one row per order, with its type.
    d = await openDialog(page, crossRow.getByRole('button', { name: 'Orders' }), 'Orders');
    const orderTable = table(d, 'Orders');
    const orders = (await a.get(`/bandwidth-packages/${cross.bandwidthPackageId}/orders`)).body
      .items as any[];
    expect(orders.map((o) => o.type)).toEqual(['Purchase', 'Upgrade', 'Renewal']);
    for (const o of orders) {
      const row = rowOf(orderTable, o.orderId);
      await row.waitFor();
      expect(await cellText(row, 1)).toBe(o.type);
      expect(await cellText(row, 2)).toMatch(new RegExp(`^${o.bandwidthMbpsAfter}\\b`));
    }
    expect(await orderTable.getByRole('row').count()).toBe(orders.length + 1);
    await expectAccessible(page, 'Orders dialog');
    await screenshot(page, 'orders');
    await confirm(d);

    // Unbind is refused while the package has a connection, then allowed once it is deleted.
    d = await openDialog(page, crossRow.getByRole('button', { name: 'Unbind' }), 'Unbind Bandwidth Package');
    await d.getByRole('button', { name: 'OK' }).click();
    await expectRefused(d, 'InvalidOperation.CenBandwidthLimitsNotZero');
    await page.keyboard.press('Escape');
    await d.waitFor({ state: 'detached' });
    expect((await a.get(`/bandwidth-packages/${cross.bandwidthPackageId}`)).body.status).toBe('InUse');
    await openTab(page, 'Region Connections');
    d = await openDialog(
      page,
      connectionRow.getByRole('button', { name: 'Delete' }),
      'Delete Region Connection',
    );
    await confirm(d);
    await connectionRow.waitFor({ state: 'detached' });
    expect((await a.get(`/cens/${cenId}/region-connections/${connectionId}`)).status).toBe(404);
    await openTab(page, 'Bandwidth Packages');
    d = await openDialog(page, crossRow.getByRole('button', { name: 'Unbind' }), 'Unbind Bandwidth Package');
    await confirm(d);
    await poll(() => cellText(crossRow, 5)).toMatch(/Idle/);
    expect((await a.get(`/bandwidth-packages/${cross.bandwidthPackageId}`)).body).toMatchObject({
      status: 'Idle',
      cenId: null,
    });

    // Delete by ticket: a status shows the ticket's id.
    d = await openDialog(page, crossRow.getByRole('button', { name: 'Delete' }), 'Delete Bandwidth Package');
    expect(await text(d)).toContain('ticket');
    await d.getByLabel('Reason').fill('no longer needed');
    await confirm(d);
    const notice = page.getByRole('tabpanel', { name: 'Bandwidth Packages' }).getByRole('status');
    await poll(() => text(notice)).toMatch(/ticket-\w+/);
    const ticketId = (await text(notice)).match(/ticket-\w+/)![0];
    expect((await a.get(`/tickets/${ticketId}`)).body).toMatchObject({
      status: 'Open',
      bandwidthPackageId: cross.bandwidthPackageId,
      reason: 'no longer needed',
    });

    // A tenant sees its ticket, with no Approve or Reject.
    await page.getByRole('navigation').getByRole('link', { name: 'Tickets' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tickets' }).waitFor();
    const ticketRow = rowOf(table(page, 'Tickets'), ticketId);
    await ticketRow.waitFor();
    expect(await cellText(ticketRow, 3)).toBe('Open');
    expect(await ticketRow.getByRole('button').count()).toBe(0);

    await w.expectCleanLog([
      'InvalidOperation.BwpBandwidthExceeded',
      'InvalidOperation.CenBandwidthLimitsNotZero',
    ]);
    await w.close();
    shared = { tenant: t, cenId, ticketId, packageId: cross.bandwidthPackageId };
  });

  it('lets an operator approve and reject tickets', async () => {
    expect(shared, 'needs the walkthrough above').toBeDefined();
    const operator = await newTenant('operator');
    const a = api(shared.tenant.apiKey);
    const other = (
      await a.post('/bandwidth-packages', { areaA: 'Europe', areaB: 'Europe', bandwidthMbps: 5 })
    ).body;
    const toReject = (
      await a.post('/tickets', {
        type: 'DeleteBandwidthPackage',
        bandwidthPackageId: other.bandwidthPackageId,
      })
    ).body.ticketId as string;
    const w = await Watched.open(browser);
    const { page } = w;
    await signIn(page, operator.apiKey);
    await page.getByRole('navigation').getByRole('link', { name: 'Tickets' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tickets' }).waitFor();
    const tickets = table(page, 'Tickets');
    const approveRow = rowOf(tickets, shared.ticketId);
    await approveRow.waitFor();
    await expectAccessible(page, 'Tickets (operator)');
    await screenshot(page, 'tickets');

    let d = await openDialog(page, approveRow.getByRole('button', { name: 'Approve' }), 'Approve Ticket');
    await expectAccessible(page, 'Approve Ticket dialog');
    await confirm(d);
    await poll(() => cellText(approveRow, 3)).toBe('Completed');
    expect(await approveRow.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect((await a.get(`/tickets/${shared.ticketId}`)).body.status).toBe('Completed');
    expect((await a.get(`/bandwidth-packages/${shared.packageId}`)).status).toBe(404);

    const rejectRow = rowOf(tickets, toReject);
    d = await openDialog(page, rejectRow.getByRole('button', { name: 'Reject' }), 'Reject Ticket');
    await d.getByLabel('Reason').fill('still in use');
    await confirm(d);
    await poll(() => cellText(rejectRow, 3)).toBe('Rejected');
    expect((await a.get(`/tickets/${toReject}`)).body).toMatchObject({ status: 'Rejected' });
    expect((await a.get(`/bandwidth-packages/${other.bandwidthPackageId}`)).status).toBe(200);
    await w.expectCleanLog([]);
    await w.close();
  });

  it("shows tenant B none of tenant A's objects", async () => {
    expect(shared, 'needs the walkthrough above').toBeDefined();
    const b = await newTenant();
    const mine = (await api(b.apiKey).post('/cens', { name: unique('b') })).body.cenId as string;
    const w = await Watched.open(browser);
    const { page } = w;
    await signIn(page, b.apiKey);
    const cens = table(page, 'CEN Instances');
    await rowOf(cens, mine).waitFor();
    expect(await text(cens)).not.toContain(shared.cenId);
    await page.goto(`${consoleUrl()}#/cens/${shared.cenId}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await text(alert)).toContain('NotFound.Cen');
    expect(await page.getByRole('tablist').count()).toBe(0);
    await page.getByRole('navigation').getByRole('link', { name: 'Tickets' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tickets' }).waitFor();
    await table(page, 'Tickets').getByRole('row').nth(1).waitFor();
    expect(await text(table(page, 'Tickets'))).not.toContain(shared.ticketId);
    await w.expectCleanLog(['NotFound.Cen']);
    await w.close();
  });

  it('lists every CEN instance, following nextToken past the first page', async () => {
    const t = await newTenant();
    const a = api(t.apiKey);
    const ids: string[] = [];
    for (let i = 0; i < 55; i++) ids.push((await a.post('/cens', { name: `many-${i}` })).body.cenId);
    const first = await a.get('/cens');
    expect(first.body.nextToken).toBeDefined();
    const w = await Watched.open(browser);
    await signIn(w.page, t.apiKey);
    const rows = table(w.page, 'CEN Instances').getByRole('row');
    await poll(() => rows.count()).toBe(56);
    const listed = await text(table(w.page, 'CEN Instances'));
    for (const id of ids) expect(listed).toContain(id);
    await w.expectCleanLog([]);
    await w.close();
  });

  it('serves the API reference at /docs/ without a key, from this host only', async () => {
    const w = await Watched.open(browser);
    const { page } = w;
    const hosts = new Set<string>();
    page.on('request', (r) => hosts.add(new URL(r.url()).origin));
    await page.goto(consoleUrl().replace('/console/', '/docs/'));
    await page.getByRole('heading', { level: 1, name: /CEN Bandwidth Service/ }).waitFor();
    await page.getByText('/bandwidth-packages/{bandwidthPackageId}/bind').first().waitFor();
    expect([...hosts]).toEqual([new URL(consoleUrl()).origin]);
    // Swagger UI's own markup (5.35) nests controls in each operation's summary button
    // (nested-interactive); every other rule of §7.1 holds on this page too. See docs/console.md.
    await expectAccessible(page, 'the API reference', ['nested-interactive']);
    await screenshot(page, 'docs');
    await w.expectCleanLog([]);
    await w.close();
  });
});
