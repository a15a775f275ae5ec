/// <reference lib="dom" />
/**
 * Chromium for the browser tests: Debian's `chromium` driven by playwright-core (which downloads
 * no browser). Each page is watched for console errors, failed requests and refused API calls,
 * checked with axe-core for the rules of SPEC §7.1, and photographed for docs/console.md when
 * UPDATE_SCREENSHOTS=1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { expect, inject } from 'vitest';
import { ROOT } from '../../local/stack';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const AXE_RULES = [
  'label',
  'select-name',
  'button-name',
  'link-name',
  'aria-dialog-name',
  'duplicate-id-aria',
  'nested-interactive',
];

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const launch = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });

export const consoleUrl = () => `${inject('apiUrl')}/console/`;

export interface Refusal {
  method: string;
  path: string;
  status: number;
  code: string;
}

/** A page whose browser log is recorded: console errors, failed requests, 4xx/5xx answers. */
export class Watched {
  readonly errors: string[] = [];
  readonly failed: string[] = [];
  readonly refusals: Promise<Refusal>[] = [];

  constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('console', (m) => {
      if (m.type() === 'error') this.errors.push(m.text());
    });
    page.on('pageerror', (e) => this.errors.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => this.failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() < 400) return;
      const url = new URL(r.url());
      this.refusals.push(
        r.json().then(
          (body: { code?: string }) => ({
            method: r.request().method(),
            path: url.pathname,
            status: r.status(),
            code: body.code ?? '',
          }),
          () => ({ method: r.request().method(), path: url.pathname, status: r.status(), code: '' }),
        ),
      );
    });
  }

  static async open(browser: Browser): Promise<Watched> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    return new Watched(context, await context.newPage());
  }

  /**
   * The log is clean: no failed request, no error but the browser's own line for each API
   * refusal, and exactly the refusals the test provoked (by error code, in order).
   */
  async expectCleanLog(expectedCodes: string[]) {
    const refusals = await Promise.all(this.refusals);
    expect(this.failed, 'failed requests').toEqual([]);
    expect(
      refusals.map((r) => r.code),
      JSON.stringify(refusals),
    ).toEqual(expectedCodes);
    const own = this.errors.filter(
      (e) => !/^Failed to load resource: the server responded with a status of 4\d\d/.test(e),
    );
    expect(own, 'console errors').toEqual([]);
    expect(this.errors.length - own.length).toBe(refusals.length);
  }

  async close() {
    await this.context.close();
  }
}

/** axe-core, injected into the page, finds no violation of the rules of SPEC §7.1 (but `except`). */
export async function expectAccessible(page: Page, where: string, except: string[] = []) {
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) await page.evaluate(axeSource);
  const violations = await page.evaluate(
    (rules) =>
      (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<any> } }).axe
        .run(document, { runOnly: { type: 'rule', values: rules } })
        .then((r: { violations: { id: string; nodes: { html: string }[] }[] }) =>
          r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`),
        ),
    AXE_RULES.filter((rule) => !except.includes(rule)),
  );
  expect(violations, `axe on ${where}`).toEqual([]);
  expect(await page.getByRole('heading', { level: 1 }).count(), `one level-1 heading on ${where}`).toBe(1);
}

/** A screenshot for docs/console.md, only when asked (so a test run leaves the tree clean). */
export async function screenshot(page: Page, name: string) {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return;
  await page.waitForTimeout(150); // let focus rings and transitions settle
  await page.screenshot({ path: join(ROOT, 'docs', 'console', `${name}.png`) });
}

export const isFocused = (locator: Locator) => locator.evaluate((el) => el === document.activeElement);

export async function signIn(page: Page, apiKey: string) {
  await page.goto(consoleUrl());
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Instances' }).waitFor();
}

/** The row of a table that holds an object's id. */
export const rowOf = (table: Locator, id: string) => table.getByRole('row').filter({ hasText: id });

export const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000, interval: 100 });
