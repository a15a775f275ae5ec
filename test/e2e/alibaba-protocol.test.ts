/**
 * The RPC door's protocol (SPEC §8.1): transport, every check of its table in its order, and
 * nonces under concurrency. Through pop-core wherever it can produce the case; hand-built
 * requests (test/support/alibaba.ts) for what it cannot (missing or malformed parameters, an
 * old timestamp, a replayed request).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { sign } from '../../lib/alibaba/signature';
import {
  alibaba,
  commonParams,
  newAlibabaTenant,
  rawRequest,
  signedByPopCore,
  timestamp,
} from '../support/alibaba';

const ERROR_SHAPE = {
  RequestId: expect.any(String),
  HostId: expect.any(String),
  Code: expect.any(String),
  Message: expect.any(String),
  Recommend: expect.any(String),
};

describe('the RPC transport', () => {
  it('takes GET with a query and POST with a form body, answering JSON in UTF-8', async () => {
    const t = await newAlibabaTenant();
    const params = commonParams(t.keys, 'DescribeCenGeographicSpans');
    const get = await rawRequest(params, { secret: t.keys.accessKeySecret });
    expect(get.status).toBe(200);
    expect(get.body.TotalCount).toBe(15);
    const post = await rawRequest(
      commonParams(t.keys, 'DescribeGeographicRegionMembership', { GeographicRegionId: 'europe' }),
      {
        method: 'POST',
        secret: t.keys.accessKeySecret,
      },
    );
    expect(post.status).toBe(200);
    expect(post.body.RegionIds.RegionId).toEqual([{ RegionId: 'eu-central-1' }, { RegionId: 'eu-west-1' }]);
    const res = await fetch(await signedByPopCore(t.keys, 'DescribeCenGeographicSpans', {}));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(((await res.json()) as { Code?: string }).Code).toBeUndefined();
  });

  it('merges a POST query string with its body (the Python SDK does), and refuses a key given twice', async () => {
    const t = await newAlibabaTenant();
    const params = commonParams(t.keys, 'CreateCen', { Name: 'merged' });
    const { Action, Version, AccessKeyId, ...rest } = params;
    const query = new URLSearchParams({ Action, Version, AccessKeyId }).toString();
    const signed = await rawRequest(
      { ...rest, Action, Version, AccessKeyId },
      { method: 'POST', secret: t.keys.accessKeySecret, query },
    );
    // The body repeats the query's three keys here: refused before anything else.
    expect(signed.status).toBe(400);
    expect(signed.body).toMatchObject({ ...ERROR_SHAPE, Code: 'InvalidParameter' });
    expect(signed.body.Message).toContain('more than once');

    const all = { ...params };
    const body = new URLSearchParams({ ...rest, Signature: sign('POST', all, t.keys.accessKeySecret) });
    const res = await fetch(`${new URL('/', inject('apiUrl'))}?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    });
    const created = (await res.json()) as { CenId: string };
    expect(res.status).toBe(200);
    expect((await t.rest.get(`/cens/${created.CenId}`)).body.name).toBe('merged');
  });

  it('accepts and ignores the parameters it does not name, as Alibaba does', async () => {
    const t = await newAlibabaTenant();
    const made = await t.rpc.call('CreateCen', {
      Name: 'tagged',
      RegionId: 'cn-hangzhou',
      ResourceGroupId: 'rg-1',
      'Tag.1.Key': 'env',
      'Tag.1.Value': 'test',
      ProtectionLevel: 'REDUCED',
      OwnerId: '123',
    });
    expect(made.CenId).toMatch(/^cen-/);
  });

  it('refuses a body over 16 KiB with 413, and other methods at / with a 4xx in the error shape', async () => {
    const t = await newAlibabaTenant();
    const big = await rawRequest(commonParams(t.keys, 'CreateCen', { Description: 'x'.repeat(17_000) }), {
      method: 'POST',
      secret: t.keys.accessKeySecret,
    });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ ...ERROR_SHAPE, Code: 'RequestTooLarge' });
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await rawRequest({}, { method, unsigned: true });
      expect(res.status, method).toBeGreaterThanOrEqual(400);
      expect(res.status, method).toBeLessThan(500);
      expect(res.body, method).toEqual(ERROR_SHAPE);
    }
    // Other paths are the REST API's, with its own 404.
    const elsewhere = await t.rest.get('/no-such-path');
    expect(elsewhere.body.code).toBe('NotFound.Route');
  });

  it('refuses a JSON body: RPC bodies are forms', async () => {
    const res = await rawRequest(
      { Action: 'CreateCen' },
      { method: 'POST', unsigned: true, contentType: 'application/json' },
    );
    expect(res).toMatchObject({ status: 400, body: { Code: 'InvalidParameter' } });
  });
});

describe('the checks of SPEC §8.1, each with its code', () => {
  it('names a missing or empty common parameter', async () => {
    const t = await newAlibabaTenant();
    for (const name of [
      'Action',
      'Version',
      'AccessKeyId',
      'Signature',
      'SignatureMethod',
      'SignatureVersion',
      'SignatureNonce',
      'Timestamp',
    ]) {
      const params: Record<string, string> = { ...commonParams(t.keys, 'DescribeCens'), Signature: 'x' };
      delete params[name];
      const res = await rawRequest(params, { unsigned: true });
      expect(res.status, name).toBe(400);
      expect(res.body, name).toMatchObject({ Code: `Missing${name}` });
      expect(res.body.Message, name).toContain(name);
      const empty = await rawRequest({ ...params, [name]: '' }, { unsigned: true });
      expect(empty.body.Code, name).toBe(`Missing${name}`);
    }
  });

  it('refuses an unsupported method, version or format, STS tokens, and a malformed timestamp', async () => {
    const t = await newAlibabaTenant();
    const cases: [Record<string, string>, string][] = [
      [{ SignatureMethod: 'HMAC-SHA256' }, 'InvalidParameter'],
      [{ SignatureVersion: '2.0' }, 'InvalidParameter'],
      [{ Format: 'XML' }, 'InvalidParameter'],
      [{ SignatureType: 'PRIVATEKEY' }, 'InvalidParameter'],
      [{ SignatureNonce: 'x'.repeat(129) }, 'InvalidParameter'],
      [{ Timestamp: '2026-12-01 02:00:00' }, 'InvalidTimeStamp.Format'],
      [{ Timestamp: '2026-02-30T02:00:00Z' }, 'InvalidTimeStamp.Format'],
    ];
    for (const [extra, code] of cases) {
      const res = await rawRequest(commonParams(t.keys, 'DescribeCens', extra), {
        secret: t.keys.accessKeySecret,
      });
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.body.Code, JSON.stringify(extra)).toBe(code);
    }
    const sts = await alibaba(t.keys, { securityToken: 'sts-token' }).fail('DescribeCens');
    expect(sts).toMatchObject({ code: 'InvalidParameter', status: 400 });
    expect(sts.body.Message).toContain('SecurityToken');
  });

  it('does not know an unknown AccessKeyId, nor a REST API key used as one', async () => {
    const t = await newAlibabaTenant();
    for (const accessKeyId of [
      `LTAI${randomUUID().replaceAll('-', '').slice(0, 20)}`,
      t.apiKey,
      'local-tenant-a',
      'L'.repeat(3000), // no pair can have it; DynamoDB could not even key it
    ]) {
      const res = await alibaba({ accessKeyId, accessKeySecret: 'whatever' }).fail('DescribeCens');
      expect(res).toMatchObject({ code: 'InvalidAccessKeyId.NotFound', status: 404 });
    }
  });

  it('refuses a wrong signature, showing its StringToSign, and records nothing, not even the nonce', async () => {
    const t = await newAlibabaTenant();
    const wrong = await alibaba({ ...t.keys, accessKeySecret: 'not-the-secret' }).fail('CreateCen', {
      Name: 'forged',
    });
    expect(wrong).toMatchObject({ code: 'SignatureDoesNotMatch', status: 400 });
    expect(wrong.body.Message).toContain('POST&%2F&AccessKeyId%3D');
    expect((await t.rest.get('/cens')).body.items).toEqual([]);

    const params = commonParams(t.keys, 'CreateCen', { Name: 'after' });
    const forged = await rawRequest(params, { secret: 'not-the-secret' });
    expect(forged.body.Code).toBe('SignatureDoesNotMatch');
    const tampered = await rawRequest(
      { ...params, Signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
      { unsigned: true },
    );
    expect(tampered.body.Code).toBe('SignatureDoesNotMatch');
    // The same nonce, now signed right: it was never recorded, so it goes on.
    const good = await rawRequest(params, { secret: t.keys.accessKeySecret });
    expect(good.status).toBe(200);
    expect((await t.rest.get('/cens')).body.items).toHaveLength(1);
  });

  it('takes a timestamp within 15 minutes of the wall clock, either way, and no further', async () => {
    const t = await newAlibabaTenant();
    const at = (offsetMs: number) =>
      rawRequest(
        commonParams(t.keys, 'DescribeCenGeographicSpans', { Timestamp: timestamp(Date.now() + offsetMs) }),
        {
          secret: t.keys.accessKeySecret,
        },
      );
    for (const offset of [-16 * 60_000, 16 * 60_000, -24 * 3_600_000]) {
      const res = await at(offset);
      expect(res.status, String(offset)).toBe(400);
      expect(res.body.Code, String(offset)).toBe('InvalidTimeStamp.Expired');
    }
    for (const offset of [-14 * 60_000, 14 * 60_000])
      expect((await at(offset)).status, String(offset)).toBe(200);
  });

  it('refuses a nonce the AccessKeyId already sent, and takes it from another AccessKeyId', async () => {
    const t = await newAlibabaTenant();
    const u = await newAlibabaTenant();
    const url = await signedByPopCore(t.keys, 'DescribeCenGeographicSpans', {});
    expect((await fetch(url)).status).toBe(200);
    const replay = await fetch(url);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ ...ERROR_SHAPE, Code: 'SignatureNonceUsed' });
    const nonce = new URL(url).searchParams.get('SignatureNonce')!;
    const other = await rawRequest(
      commonParams(u.keys, 'DescribeCenGeographicSpans', { SignatureNonce: nonce }),
      {
        secret: u.keys.accessKeySecret,
      },
    );
    expect(other.status).toBe(200);
  });

  it('refuses another API version and an unknown action', async () => {
    const t = await newAlibabaTenant();
    const version = await alibaba(t.keys, { apiVersion: '2014-05-26' }).fail('DescribeCens');
    expect(version).toMatchObject({ code: 'InvalidVersion', status: 400 });
    const action = await t.rpc.fail('DescribeRegions');
    expect(action).toMatchObject({ code: 'InvalidAction.NotFound', status: 404 });
    expect(action.body).toEqual({ ...ERROR_SHAPE, Code: 'InvalidAction.NotFound' });
    expect((await t.rpc.fail('toString')).code).toBe('InvalidAction.NotFound');
  });

  it('answers the first failing check, in the order of the table', async () => {
    const t = await newAlibabaTenant();
    const ghost = { accessKeyId: 'LTAIghostghostghostghost', accessKeySecret: 'x' };
    const old = timestamp(Date.now() - 3_600_000);
    const cases: [Record<string, string>, { secret?: string; keys?: typeof ghost }, string][] = [
      // missing before unsupported
      [{ SignatureMethod: 'MD5', SignatureNonce: '' }, {}, 'MissingSignatureNonce'],
      // unsupported before an unknown key
      [{ SignatureMethod: 'MD5' }, { keys: ghost }, 'InvalidParameter'],
      // an unknown key before the signature
      [{}, { keys: ghost, secret: 'wrong' }, 'InvalidAccessKeyId.NotFound'],
      // the signature before the timestamp window
      [{ Timestamp: old }, { secret: 'wrong' }, 'SignatureDoesNotMatch'],
      // the window before the version
      [{ Timestamp: old, Version: '2014-05-26' }, {}, 'InvalidTimeStamp.Expired'],
      // the version before the action
      [{ Version: '2014-05-26', Action: 'Nope' }, {}, 'InvalidVersion'],
      // the action before its parameters
      [{ Action: 'Nope' }, {}, 'InvalidAction.NotFound'],
    ];
    for (const [extra, how, code] of cases) {
      const keys = how.keys ?? t.keys;
      const params = commonParams(keys, 'DeleteCen', extra);
      const res = await rawRequest(params, { secret: how.secret ?? keys.accessKeySecret });
      expect(res.body.Code, code).toBe(code);
    }
    // A used nonce before the version: the nonce is recorded by a request that reaches its check.
    const params = commonParams(t.keys, 'DescribeCens', { Version: '2014-05-26' });
    expect((await rawRequest(params, { secret: t.keys.accessKeySecret })).body.Code).toBe('InvalidVersion');
    expect((await rawRequest(params, { secret: t.keys.accessKeySecret })).body.Code).toBe(
      'SignatureNonceUsed',
    );
  });
});

describe('one signed request sent many times at once', () => {
  it('lets exactly one copy proceed', async () => {
    const t = await newAlibabaTenant();
    const url = await signedByPopCore(t.keys, 'CreateCen', { Name: 'exactly-once' });
    const replies = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const res = await fetch(url);
        return { status: res.status, body: (await res.json()) as Record<string, string> };
      }),
    );
    const ok = replies.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const refused of replies.filter((r) => r.status !== 200)) {
      expect(refused).toMatchObject({ status: 400, body: { Code: 'SignatureNonceUsed' } });
    }
    const cens = (await t.rest.get('/cens')).body.items;
    expect(cens.map((c: { cenId: string }) => c.cenId)).toEqual([ok[0]!.body.CenId]);
  });

  it('lets exactly one copy of an allocation take bandwidth, the others having written nothing', async () => {
    const t = await newAlibabaTenant();
    const { CenId } = await t.rpc.call('CreateCen', { Name: 'fence' });
    const { CenBandwidthPackageId } = await t.rpc.call('CreateCenBandwidthPackage', {
      GeographicRegionAId: 'China',
      GeographicRegionBId: 'Europe',
      Bandwidth: 10,
    });
    await t.rpc.call('AssociateCenBandwidthPackage', { CenId, CenBandwidthPackageId });
    // The copies read the binding before the nonce's outcome is known; only writes wait for it.
    const url = await signedByPopCore(t.keys, 'SetCenInterRegionBandwidthLimit', {
      CenId,
      LocalRegionId: 'eu-west-1',
      OppositeRegionId: 'cn-beijing',
      BandwidthLimit: 3,
    });
    const statuses = await Promise.all(Array.from({ length: 10 }, async () => (await fetch(url)).status));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    const pkg = (await t.rest.get(`/bandwidth-packages/${CenBandwidthPackageId}`)).body;
    expect(pkg).toMatchObject({ allocatedMbps: 3, remainingMbps: 7 });
  });
});
