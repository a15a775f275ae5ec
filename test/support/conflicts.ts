/**
 * Fault injection that DynamoDB Local cannot do by itself: real DynamoDB cancels a transaction
 * that races another one on the same item with reason `TransactionConflict`; DynamoDB Local
 * serialises transactions and never does. This SDK middleware, on the service's own client,
 * fails the next `count` TransactWriteItems calls with exactly that cancellation (before they
 * are sent, so they write nothing) and lets every other call through to DynamoDB Local. A single
 * `UpdateItem` of a package (a region connection's write, lib/db/client.ts `writeOne`) fails the
 * way AWS fails it when the item is in another transaction: `TransactionConflictException`.
 */
import { raw } from '../../lib/db/client';
import { transactionCanceled } from '../../lib/emulator/pipeline';

export interface Injection {
  /** How many transactions were failed so far. */
  readonly injected: number;
  /** How many transactions reached DynamoDB Local while the injection was installed. */
  readonly passed: number;
  remove(): void;
}

let serial = 0;

/**
 * Installs a middleware on the service's client that fails the first `count` calls of the given
 * commands with `fail(n)` (n = 1, 2, …) and passes every other call through to DynamoDB Local.
 */
function inject(
  label: string,
  count: number,
  commands: string[],
  step: 'initialize' | 'deserialize',
  fail: (n: number, input: unknown, command: string) => Promise<never>,
  applies: (command: string, input: unknown) => boolean = () => true,
): Injection {
  const name = `${label}-${++serial}`;
  let injected = 0;
  let passed = 0;
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      if (!commands.includes(command) || !applies(command, args.input)) return next(args);
      if (injected >= count) {
        passed++;
        return next(args);
      }
      return fail(++injected, args.input, command);
    },
    // Both steps take the same middleware shape; the overloads want the step as a literal.
    { step: step as 'initialize', name },
  );
  return handle(name, () => ({ injected, passed }));
}

export function injectTransactionConflicts(
  count: number,
  options: {
    beforeEach?: (n: number) => Promise<void>;
    /** The cancellation reason: a conflict by default, or a throttled item (`ThrottlingError`). */
    reason?: 'TransactionConflict' | 'ThrottlingError' | 'ProvisionedThroughputExceeded';
  } = {},
): Injection {
  const code = options.reason ?? 'TransactionConflict';
  return inject(
    'injectTransactionConflicts',
    count,
    ['TransactWriteItemsCommand', 'UpdateItemCommand'],
    'initialize',
    async (n, input, command) => {
      await options.beforeEach?.(n);
      if (command === 'UpdateItemCommand') {
        throw Object.assign(new Error('Transaction is ongoing for the item'), {
          name: code === 'TransactionConflict' ? 'TransactionConflictException' : 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        });
      }
      const items = (input as { TransactItems?: unknown[] }).TransactItems ?? [];
      throw transactionCanceled(items, code);
    },
    (command, input) => command !== 'UpdateItemCommand' || isPackageWrite(input),
  );
}

/**
 * Throttling of single calls (GetItem, Query, PutItem, …), which DynamoDB Local never does: the
 * next `count` calls of the named commands fail as an overloaded table answers, inside the SDK's
 * retry loop (the `deserialize` step), so the SDK's own retries see them as AWS would send them.
 */
export function injectThrottling(
  count: number,
  commands: string[],
  error:
    | 'ThrottlingException'
    | 'ProvisionedThroughputExceededException' = 'ProvisionedThroughputExceededException',
): Injection {
  return inject('injectThrottling', count, commands, 'deserialize', async () => {
    const failure = new Error('Rate of requests exceeds the allowed throughput.') as Error & {
      $metadata: unknown;
      $fault: string;
    };
    failure.name = error;
    failure.$metadata = { httpStatusCode: 400, attempts: 1 };
    failure.$fault = 'client';
    throw failure;
  });
}

/**
 * Faults AFTER a commit, which no database produces on demand: the next `count` TransactWriteItems
 * (or single `UpdateItem`s of a package) that `match` reach DynamoDB Local and commit, and then
 * - `crash`: the call fails as if the reply never came back and the SDK gave up (a 503 on the
 *   service's path; outside the SDK's retries, so nothing resends it): the client sees an error
 *   for a write that took effect, and retries;
 * - `lostReply`: the reply is lost once inside the SDK's retry loop (a connection reset), so the
 *   SDK resends the same request, with the same ClientRequestToken.
 */
export function injectAfterCommit(
  count: number,
  kind: 'crash' | 'lostReply',
  match: (input: { TransactItems?: Record<string, { Key?: Record<string, unknown> }>[] }) => boolean = () =>
    true,
): Injection {
  const name = `injectAfterCommit-${++serial}`;
  let injected = 0;
  let passed = 0;
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Parameters<typeof match>[0];
      const write =
        context.commandName === 'TransactWriteItemsCommand' ||
        (context.commandName === 'UpdateItemCommand' && isPackageWrite(input));
      if (!write || injected >= count || !match(input)) {
        passed++;
        return next(args);
      }
      const out = await next(args);
      injected++;
      const failure = new Error(kind === 'crash' ? 'The reply was lost after the commit.' : 'socket hang up');
      Object.assign(
        failure,
        kind === 'crash' ? { $metadata: { httpStatusCode: 503 } } : { code: 'ECONNRESET' },
      );
      failure.name = kind === 'crash' ? 'ServiceUnavailable' : 'Error';
      void out;
      throw failure;
    },
    { step: kind === 'crash' ? 'initialize' : ('deserialize' as 'initialize'), name },
  );
  return handle(name, () => ({ injected, passed }));
}

/** Is this single write one of a package item (a region connection's create, resize or delete)? */
const isPackageWrite = (input: unknown) =>
  JSON.stringify((input as { Key?: unknown }).Key ?? {}).includes('#BWP#'); // marshalled or not

/** Does this transaction complete an idempotency record (the write of a keyed request)? */
export const completesKeyedRequest = (input: {
  TransactItems?: Record<string, { Key?: Record<string, unknown> }>[];
}) =>
  (input.TransactItems ?? []).some((item) =>
    Object.values(item).some((part) => String(part.Key?.PK ?? '').includes('#IDEM#')),
  );

/** The test's hold on an installed middleware: its counts, and its removal. */
function handle(name: string, counts: () => { injected: number; passed: number }): Injection {
  return {
    get injected() {
      return counts().injected;
    },
    get passed() {
      return counts().passed;
    },
    remove: () => {
      raw.middlewareStack.remove(name);
    },
  };
}
