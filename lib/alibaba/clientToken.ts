/**
 * `ClientToken` (SPEC §8.4) is the REST `Idempotency-Key` of lib/idempotency.ts, per account and
 * action: the same claim/complete/release records, keyed by `<Action>:<token>`, fingerprinted
 * over the action's own parameters (common parameters excluded, so a re-signed retry matches).
 * The whole use of lib/idempotency.ts by the RPC door is this one function.
 */
import type { Principal } from '../auth';
import { type Facts, withEffect } from '../db/effect';
import { type Claim, claim, effectOf, fingerprint, IDEMPOTENCY_KEY, settle } from '../idempotency';
import { invalid, RpcError, toRpcError } from './errors';
import type { Params } from './params';
import { COMMON } from './protocol';

type Answer = Record<string, unknown>;

/**
 * Runs a creating action under its `ClientToken`. `answer` turns the domain's result (and what
 * its write knows, `facts`) into the action's answer: the create's write completes the record
 * with it in its own transaction (lib/db/effect.ts), so the action takes effect exactly once
 * however the first attempt ended.
 */
export async function withClientToken<R>(
  principal: Principal,
  action: string,
  params: Params,
  run: () => Promise<{ result: R; facts: Facts }>,
  answer: (result: R, facts: Facts) => Answer,
): Promise<Answer> {
  const token = params.ClientToken;
  if (token === undefined || token === '') {
    const { result, facts } = await run();
    return answer(result, facts);
  }
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
  const effect = effectOf(c, (result, facts) => ({
    statusCode: 200,
    body: JSON.stringify(answer(result as R, facts)),
  }));
  try {
    const { result, facts } = await withEffect(effect, run);
    if (effect.committed) return JSON.parse(effect.answered ?? 'null') as Answer;
    const out = answer(result, facts);
    await settle(c, effect, { statusCode: 200, body: JSON.stringify(out) });
    return out;
  } catch (error) {
    const rpc = toRpcError(error);
    const body = rpc && JSON.stringify({ Code: rpc.code, Message: rpc.message, Recommend: rpc.recommend });
    await settle(
      c,
      effect,
      rpc && body ? { statusCode: rpc.statusCode, body } : { statusCode: 500, body: '' },
    );
    throw error;
  }
}
