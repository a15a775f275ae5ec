/**
 * Resident memory of the local stack: the sum of VmRSS over every process in the stack's process
 * groups (DynamoDB Local's JVM, serverless-offline's Node process, and whatever either spawns,
 * e.g. esbuild), read from /proc every ~200 ms. Linux only; elsewhere the sampler reports nothing.
 *
 * Each process group leader is a child the stack spawned with `detached: true`, so its pid is the
 * group id; membership is re-read on every sample, so children that come and go are counted.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export interface RssSample {
  totalMiB: number;
  byGroup: Record<string, number>;
  /** By command name (java, node, esbuild…), summed over processes of that name. */
  byProcess: Record<string, number>;
  processes: number;
}

export interface RssPeak {
  /** Highest total seen (MiB), and the per-group and per-process figures of that same sample. */
  peakMiB: number;
  peakByGroupMiB: Record<string, number>;
  peakByProcessMiB: Record<string, number>;
  peakProcesses: number;
  samples: number;
}

const MiB = (kib: number) => Math.round((kib / 1024) * 10) / 10;

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process exited between listing and reading
  }
}

/** pid → process group id, for every process visible in /proc. */
function processGroups(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOr(`/proc/${entry}/stat`);
    if (!stat) continue;
    // Fields after the command name (which may hold spaces and parentheses): state ppid pgrp …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(entry), Number(fields[2]));
  }
  return out;
}

function rssKiB(pid: number): number {
  const status = readOr(`/proc/${pid}/status`);
  const match = status?.match(/^VmRSS:\s+(\d+)\s+kB/m);
  return match ? Number(match[1]) : 0;
}

export const canSampleRss = () => process.platform === 'linux' && existsSync('/proc/self/status');

/** One reading of the groups named by their leader's pid (`{ dynamodb: 1234, offline: 1240 }`). */
export function sampleGroups(groups: Record<string, number | undefined>): RssSample {
  const byGroupKiB: Record<string, number> = {};
  const byProcessKiB: Record<string, number> = {};
  let processes = 0;
  const wanted = new Map<number, string>();
  for (const [name, pgid] of Object.entries(groups)) {
    byGroupKiB[name] = 0;
    if (pgid) wanted.set(pgid, name);
  }
  for (const [pid, pgid] of processGroups()) {
    const name = wanted.get(pgid);
    if (name === undefined) continue;
    const kib = rssKiB(pid);
    const comm = readOr(`/proc/${pid}/comm`)?.trim() || String(pid);
    byGroupKiB[name]! += kib;
    byProcessKiB[comm] = (byProcessKiB[comm] ?? 0) + kib;
    processes++;
  }
  const total = Object.values(byGroupKiB).reduce((a, b) => a + b, 0);
  return {
    totalMiB: MiB(total),
    byGroup: Object.fromEntries(Object.entries(byGroupKiB).map(([k, v]) => [k, MiB(v)])),
    byProcess: Object.fromEntries(Object.entries(byProcessKiB).map(([k, v]) => [k, MiB(v)])),
    processes,
  };
}

/** Samples in the background; `take()` returns the peak since the last `take()` and starts anew. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private peak: RssPeak = RssSampler.empty();

  constructor(
    private readonly groups: Record<string, number | undefined>,
    private readonly intervalMs = 200,
  ) {}

  private static empty(): RssPeak {
    return { peakMiB: 0, peakByGroupMiB: {}, peakByProcessMiB: {}, peakProcesses: 0, samples: 0 };
  }

  private sample() {
    const s = sampleGroups(this.groups);
    this.peak.samples++;
    if (s.totalMiB > this.peak.peakMiB) {
      this.peak.peakMiB = s.totalMiB;
      this.peak.peakByGroupMiB = s.byGroup;
      this.peak.peakByProcessMiB = s.byProcess;
      this.peak.peakProcesses = s.processes;
    }
  }

  start(): this {
    if (!canSampleRss() || this.timer) return this;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  take(): RssPeak | undefined {
    if (!this.timer) return undefined;
    this.sample();
    const out = this.peak;
    this.peak = RssSampler.empty();
    return out;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
