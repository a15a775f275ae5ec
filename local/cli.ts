/**
 * The arguments the account scripts share: `--account <id>`, `--role tenant|operator` (default
 * tenant), any extra string options, and `--help`; a usage error exits with 2.
 */
import { parseArgs } from 'node:util';

export interface AccountArgs {
  account: string;
  role: 'tenant' | 'operator';
  [option: string]: string | undefined;
}

export function accountArgs(usage: string, extra: string[] = []): AccountArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      options: {
        account: { type: 'string' },
        role: { type: 'string', default: 'tenant' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(extra.map((name) => [name, { type: 'string' as const }])),
      },
    }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const { account, role } = values;
  if (typeof account !== 'string' || (role !== 'tenant' && role !== 'operator')) {
    console.error(usage);
    process.exit(2);
  }
  const strings = values as Record<string, string | undefined>;
  return { ...strings, account, role: role as 'tenant' | 'operator' };
}
