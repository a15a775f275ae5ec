/**
 * The RPC signature verifier against vectors published by Alibaba, not computed by this code.
 * Each vector names its source.
 */
import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../lib/alibaba/protocol';
import {
  canonicalQueryString,
  hmacSha1,
  percentEncode,
  sign,
  signaturesMatch,
  stringToSign,
} from '../../lib/alibaba/signature';

// Alibaba Cloud, "Request syntax and signature method V2 for RPC APIs", section "Example"
// (https://www.alibabacloud.com/help/en/sdk/product-overview/rpc-mechanism; the same example is in
// the ECS API reference "Request signatures"): AccessKeyId `testid`, AccessKeySecret `testsecret`.
const DOC_PARAMS = {
  Timestamp: '2016-02-23T12:46:24Z',
  Format: 'XML',
  AccessKeyId: 'testid',
  Action: 'DescribeRegions',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
  Version: '2014-05-26',
  SignatureVersion: '1.0',
};

describe('the RPC signature (version 1.0, HMAC-SHA1)', () => {
  it("gives the documented StringToSign and signature of Alibaba's DescribeRegions example", () => {
    expect(stringToSign('GET', DOC_PARAMS)).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML' +
        '%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf' +
        '%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
    expect(sign('GET', DOC_PARAMS, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('leaves the Signature parameter itself out of what is signed', () => {
    expect(sign('GET', { ...DOC_PARAMS, Signature: 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=' }, 'testsecret')).toBe(
      'OLeaidS1JvxuMvnyHOwuJ+uX5qY=',
    );
  });

  it('signs the method as sent: the same parameters POSTed sign differently', () => {
    expect(sign('POST', DOC_PARAMS, 'testsecret')).not.toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
    expect(stringToSign('POST', DOC_PARAMS).startsWith('POST&%2F&')).toBe(true);
  });

  // aliyun/aliyun-openapi-python-sdk, aliyun-python-sdk-core/tests/auth/algorithm/test_sha_hmac1.py
  // (test_sha_hmac1: get_sign_string(source, secret), the HMAC-SHA1 step in base64).
  it("computes HMAC-SHA1 as the Python SDK's own tests expect", () => {
    expect(hmacSha1('source', 'secret')).toBe('Jv4yi8SobFhg5t1C7nWLbhBSFZQ=');
    expect(hmacSha1('中文unicode', 'secret')).toBe('szlfHs3WVaO/HgY3Cg7/uyXDaRw=');
  });

  // aliyun/openapi-core-nodejs-sdk (@alicloud/pop-core), test/rpc.test.js, "encode should ok",
  // and SPEC §8.1 step 3 (space → %20, * → %2A, ~ stays).
  it('percent-encodes as pop-core does, per RFC 3986', () => {
    expect(percentEncode('str')).toBe('str');
    expect(percentEncode("str'str")).toBe('str%27str');
    expect(percentEncode('str(str')).toBe('str%28str');
    expect(percentEncode('str)str')).toBe('str%29str');
    expect(percentEncode('str*str')).toBe('str%2Astr');
    expect(percentEncode('a b~c!')).toBe('a%20b~c%21');
    expect(percentEncode('中')).toBe('%E4%B8%AD');
    expect(percentEncode('2016-02-23T12:46:24Z')).toBe('2016-02-23T12%3A46%3A24Z');
  });

  // aliyun/openapi-core-nodejs-sdk, test/rpc.test.js, "normalize should ok" / "canonicalize should ok".
  it('sorts keys and joins key=value pairs with & as pop-core does', () => {
    expect(canonicalQueryString({})).toBe('');
    expect(canonicalQueryString({ 'key.1.Domain': '1.com' })).toBe('key.1.Domain=1.com');
    expect(canonicalQueryString({ a: 'value', c: 'value', b: 'value' })).toBe('a=value&b=value&c=value');
    // Byte order: upper case before lower case, as Alibaba's servers sort.
    expect(canonicalQueryString({ b: '1', B: '2', a: '3' })).toBe('B=2&a=3&b=1');
  });

  it('compares signatures whole, refusing a prefix, a longer value or another case', () => {
    const good = 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=';
    expect(signaturesMatch(good, good)).toBe(true);
    expect(signaturesMatch(good.slice(0, -1), good)).toBe(false);
    expect(signaturesMatch(`${good}=`, good)).toBe(false);
    expect(signaturesMatch(good.toLowerCase(), good)).toBe(false);
  });
});

describe('the Timestamp parameter', () => {
  it('takes YYYY-MM-DDThh:mm:ssZ in UTC and nothing else', () => {
    expect(parseTimestamp('2016-02-23T12:46:24Z')).toBe(Date.UTC(2016, 1, 23, 12, 46, 24));
    for (const bad of [
      '2016-02-23T12:46:24',
      '2016-02-23T12:46:24.000Z',
      '2016-02-23 12:46:24Z',
      '2016-02-30T12:46:24Z',
      '2016-02-23T24:46:24Z',
      '2016-02-23T12:46:24+08:00',
      '1456231584',
    ]) {
      expect(parseTimestamp(bad), bad).toBeUndefined();
    }
  });
});
