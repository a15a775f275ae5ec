/**
 * `rpc-door-1`: what the Alibaba RPC door adds to an allocation's latency, at one client, against
 * the REST door in the same run (SPEC §8; issue 15: at most 20 %).
 *
 * One CEN with a 10,000 Mbps China/North-America package (made through the RPC door with the demo
 * pair of `tenant-a`). Then rounds of four allocations, one client, one request at a time over a
 * keep-alive connection: a REST create of a region connection, an RPC create
 * (SetCenInterRegionBandwidthLimit) on another pair, the REST delete, the RPC delete
 * (BandwidthLimit 0). The two doors alternate which goes first each round, so the machine's noise
 * (other processes on 2 shared cores) falls on both alike. The RPC requests are signed here with
 * lib/alibaba/signature.ts (the verifier's unit tests hold it to Alibaba's published vectors);
 * the client's signing time is not counted, only the request's round trip.
 */
import { randomUUID } from 'node:crypto';
import { DEMO_ACCESS_KEYS } from '../lib/alibaba/accessKeys';
import { sign } from '../lib/alibaba/signature';
import { REGIONS, type RegionId } from '../lib/catalogue';
import { type Latency, percentiles } from './load';

export interface RpcDoorOptions {
  apiUrl: string;
  /** Bound on the recorded requests (each round is four); the run also stops at maxSeconds. */
  requests: number;
  maxSeconds: number;
  warmupRounds?: number;
}

export interface RpcDoorResult {
  rounds: number;
  /** The recorded requests of both doors, and (for the runner's table) the RPC door's latency. */
  requests: number;
  latencyMs: Latency;
  rest: Latency;
  rpc: Latency;
  /**
   * The median over rounds of (RPC create + delete) / (REST create + delete) within the round:
   * each round's four requests ran back to back, so a burst of load elsewhere on the machine
   * falls on both sides of its ratio. The target is read on this one.
   */
  pairedRatio: number;
  /** RPC / REST, of the medians and of the means over all requests. */
  p50Ratio: number;
  meanRatio: number;
  non2xx: number;
}

const KEY = DEMO_ACCESS_KEYS[0]!;
const API_KEY = 'local-tenant-a';
const china = REGIONS.filter((r) => r.areaId === 'China').map((r) => r.regionId);
const america = REGIONS.filter((r) => r.areaId === 'North-America').map((r) => r.regionId);
const PAIRS: [RegionId, RegionId][] = china.flatMap((c) =>
  america.map((a) => [c, a] as [RegionId, RegionId]),
);

export async function rpcDoorScenario(o: RpcDoorOptions): Promise<RpcDoorResult> {
  let non2xx = 0;
  const timed = async (send: () => Promise<Response>) => {
    const t0 = performance.now();
    const res = await send();
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status >= 300) {
      non2xx++;
      throw new Error(`${res.status} ${text}`);
    }
    return { ms, body: text ? (JSON.parse(text) as Record<string, string>) : {} };
  };
  const rpc = (Action: string, params: Record<string, string | number>) => {
    const all: Record<string, string> = {
      Action,
      Version: '2017-09-12',
      Format: 'JSON',
      AccessKeyId: KEY.accessKeyId,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: randomUUID(),
      Timestamp: `${new Date().toISOString().slice(0, 19)}Z`,
      ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
    };
    all.Signature = sign('POST', all, KEY.accessKeySecret);
    const body = new URLSearchParams(all).toString();
    return timed(() =>
      fetch(`${o.apiUrl}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      }),
    );
  };
  const rest = (method: string, path: string, body?: unknown) =>
    timed(() =>
      fetch(`${o.apiUrl}${path}`, {
        method,
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );

  const cenId = (await rpc('CreateCen', { Name: 'bench-rpc-door' })).body.CenId!;
  const pkg = await rpc('CreateCenBandwidthPackage', {
    GeographicRegionAId: 'China',
    GeographicRegionBId: 'North-America',
    Bandwidth: 10_000,
  });
  await rpc('AssociateCenBandwidthPackage', {
    CenId: cenId,
    CenBandwidthPackageId: pkg.body.CenBandwidthPackageId!,
  });

  const restTimes: number[] = [];
  const rpcTimes: number[] = [];
  const roundRatios: number[] = [];
  const round = async (i: number, record: boolean) => {
    const [restA, restB] = PAIRS[(2 * i) % PAIRS.length]!;
    const [rpcA, rpcB] = PAIRS[(2 * i + 1) % PAIRS.length]!;
    const restCreate = () =>
      rest('POST', `/cens/${cenId}/region-connections`, { regionA: restA, regionB: restB, bandwidthMbps: 1 });
    const restDelete = () => rest('DELETE', `/cens/${cenId}/region-connections/${restA}_${restB}`);
    const limit = (n: number) => () =>
      rpc('SetCenInterRegionBandwidthLimit', {
        CenId: cenId,
        LocalRegionId: rpcA,
        OppositeRegionId: rpcB,
        BandwidthLimit: n,
      });
    const steps =
      i % 2 === 0
        ? [restCreate, limit(1), restDelete, limit(0)]
        : [limit(1), restCreate, limit(0), restDelete];
    let restMs = 0;
    let rpcMs = 0;
    for (const step of steps) {
      const { ms } = await step();
      const isRest = step === restCreate || step === restDelete;
      if (isRest) restMs += ms;
      else rpcMs += ms;
      if (record) (isRest ? restTimes : rpcTimes).push(ms);
    }
    if (record) roundRatios.push(rpcMs / restMs);
  };

  for (let i = 0; i < (o.warmupRounds ?? 50); i++) await round(i, false);
  const deadline = Date.now() + o.maxSeconds * 1000;
  let rounds = 0;
  while (rounds * 4 < o.requests && Date.now() < deadline) await round(rounds++, true);

  const restLatency = percentiles(restTimes);
  const rpcLatency = percentiles(rpcTimes);
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  return {
    rounds,
    requests: restTimes.length + rpcTimes.length,
    latencyMs: rpcLatency,
    rest: restLatency,
    rpc: rpcLatency,
    pairedRatio: Math.round(median(roundRatios) * 100) / 100,
    p50Ratio: ratio(rpcLatency.p50, restLatency.p50),
    meanRatio: ratio(rpcLatency.mean, restLatency.mean),
    non2xx,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
