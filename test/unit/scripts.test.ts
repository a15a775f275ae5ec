/**
 * The scripts a user runs from a shell start without any of the stack's environment: importing
 * the service's modules must not demand the secrets only a deployed function needs (they are
 * read on first use, lib/config.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../local/stack';

const run = promisify(execFile);

describe('the shell scripts', () => {
  it.each([
    ['local/start.ts', /usage: npm start/],
    ['local/create-api-key.ts', /usage: npm run create-api-key/],
    ['local/create-access-key.ts', /usage: npm run create-access-key/],
  ])('%s --help runs with no stack environment', async (script, usage) => {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    const out = await run(process.execPath, ['--import', 'tsx', script, '--help'], { cwd: ROOT, env });
    expect(out.stdout).toMatch(usage);
  });
});
