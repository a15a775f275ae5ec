/**
 * Fault injection that DynamoDB Local cannot do by itself: real DynamoDB cancels a transaction
 * that races another one on the same item with reason `TransactionConflict`; DynamoDB Local
 * serialises transactions and never does. This SDK middleware, on the service's own client,
 * fails the next `count` TransactWriteItems calls with exactly that cancellation (before they
 * are sent, so they write nothing) and lets every other call through to DynamoDB Local.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { raw } from '../../lib/db/client';

export interface Injection {
  /** How many transactions were failed so far. */
  readonly injected: number;
  /** How many transactions reached DynamoDB Local while the injection was installed. */
  readonly passed: number;
  remove(): void;
}

let serial = 0;

export function injectTransactionConflicts(
  count: number,
  options: { beforeEach?: (n: number) => Promise<void> } = {},
): Injection {
  const name = `injectTransactionConflicts-${++serial}`;
  let injected = 0;
  let passed = 0;
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
      if (injected >= count) {
        passed++;
        return next(args);
      }
      injected++;
      await options.beforeEach?.(injected);
      const items = (args.input as { TransactItems?: unknown[] }).TransactItems ?? [];
      // The first item conflicts (another transaction holds it); the others were not evaluated.
      const reasons = items.map((_, i) =>
        i === 0
          ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }
          : { Code: 'None' },
      );
      throw new TransactionCanceledException({
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons
          .map((r) => r.Code)
          .join(', ')}]`,
        $metadata: { httpStatusCode: 400 },
        CancellationReasons: reasons,
      });
    },
    { step: 'initialize', name },
  );
  return {
    get injected() {
      return injected;
    },
    get passed() {
      return passed;
    },
    remove: () => {
      raw.middlewareStack.remove(name);
    },
  };
}
