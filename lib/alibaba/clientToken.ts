/**
 * `ClientToken` (SPEC §8.4) is the REST `Idempotency-Key` of lib/idempotency.ts, per account and
 * action: the same claim/complete/release records, keyed by `<Action>:<token>`, fingerprinted
 * over the action's own parameters (common parameters excluded, so a re-signed retry matches).
 * The whole use of lib/idempotency.ts by the RPC door is this one function.
 */
import type { Principal } from '../auth';
import { type Claim, claim, complete, fingerprint, IDEMPOTENCY_KEY, release } from '../idempotency';
import { log } from '../log';
import { invalid, RpcError, toRpcError } from './errors';
import type { Params } from './params';
import { COMMON } from './protocol';

type Answer = Record<string, unknown>;

export async function withClientToken(
  principal: Principal,
  action: string,
  params: Params,
  run: () => Promise<Answer>,
): Promise<Answer> {
  const token = params.ClientToken;
  if (token === undefined || token === '') return run();
  if (!IDEMPOTENCY_KEY.test(token))
    throw invalid('ClientToken', 'ClientToken must be 1-64 printable ASCII characters.');
  const own = Object.fromEntries(
    Object.entries(params).filter(([k]) => !COMMON.has(k) && k !== 'ClientToken'),
  );
  const c: Claim = {
    accountId: principal.accountId,
    key: `${action}:${token}`,
    fingerprint: fingerprint('RPC', action, own),
  };
  const replay = await claim(c).catch((error: unknown) => {
    throw toRpcError(error) ?? error;
  });
  if (replay) {
    const first = JSON.parse(replay.body) as Answer;
    if (replay.statusCode === 200) return first;
    throw new RpcError(
      replay.statusCode,
      String(first.Code),
      String(first.Message),
      String(first.Recommend ?? ''),
    );
  }
  try {
    const answer = await run();
    await complete(c, { statusCode: 200, body: JSON.stringify(answer) }).catch((error: unknown) =>
      log.warn('idempotency record not completed', { error: String(error) }),
    );
    return answer;
  } catch (error) {
    const rpc = toRpcError(error);
    if (!rpc || rpc.statusCode >= 500) await release(c);
    else {
      const body = JSON.stringify({ Code: rpc.code, Message: rpc.message, Recommend: rpc.recommend });
      await complete(c, { statusCode: rpc.statusCode, body }).catch(() => undefined);
    }
    throw error;
  }
}
