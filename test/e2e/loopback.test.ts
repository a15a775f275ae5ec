/**
 * Every server the stack starts listens on loopback only (SPEC §5): the API, the Lambda invoke
 * endpoint and DynamoDB Local, whose own launcher would bind every interface. Read from the
 * kernel's socket tables, as `ss -ltn` does.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';

interface Listener {
  address: string;
  port: number;
}

/** Listening TCP sockets from /proc/net/tcp{,6}: local address (hex, kernel byte order) and port. */
function listeners(): Listener[] {
  const out: Listener[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || !local) continue; // 0A: LISTEN
      const [address, port] = local.split(':') as [string, string];
      out.push({ address, port: Number.parseInt(port, 16) });
    }
  }
  return out;
}

/** 127.0.0.0/8 as IPv4, as IPv4-mapped IPv6, or ::1. */
function isLoopback(hex: string): boolean {
  if (hex.length === 8) return hex.endsWith('7F');
  if (hex === '00000000000000000000000001000000') return true;
  return hex.startsWith('0000000000000000FFFF0000') && hex.endsWith('7F');
}

describe('the local stack', () => {
  it('listens on loopback only: API, Lambda invoke endpoint and DynamoDB Local', () => {
    const ports = ['apiUrl', 'lambdaUrl', 'dbUrl'].map((k) => Number(new URL(inject(k as 'apiUrl')).port));
    const all = listeners();
    for (const port of ports) {
      const sockets = all.filter((l) => l.port === port);
      expect(sockets.length, `something listens on ${port}`).toBeGreaterThan(0);
      for (const s of sockets) expect(isLoopback(s.address), `${port} on ${s.address}`).toBe(true);
    }
  });
});
