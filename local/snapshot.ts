/**
 * `npm run snapshot -- save FILE` / `load FILE`: the table of a running local stack to a file and
 * back, through its controls (GET and PUT /_local/snapshot; docs/local.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const USAGE = `usage: npm run snapshot -- save FILE | load FILE  [--url http://localhost:3000]`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: 'http://localhost:3000' },
    help: { type: 'boolean', default: false },
  },
});

async function main(): Promise<number> {
  const [command, file] = positionals;
  if (values.help || !file || positionals.length !== 2 || (command !== 'save' && command !== 'load')) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const url = `${values.url.replace(/\/$/, '')}/_local/snapshot`;
  if (command === 'save') {
    const res = await fetch(url);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text}`);
    writeFileSync(file, text);
    console.log(`saved ${(JSON.parse(text) as { items: unknown[] }).items.length} items to ${file}`);
    return 0;
  }
  const body = readFileSync(file, 'utf8');
  const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
  if (res.status !== 204) throw new Error(`PUT ${url}: ${res.status} ${await res.text()}`);
  console.log(`loaded ${file}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`snapshot: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  },
);
