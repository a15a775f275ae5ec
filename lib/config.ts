import { createHash } from 'node:crypto';

/**
 * Configuration, read from the environment once at cold start. No other module touches
 * `process.env`: a missing or malformed value fails the first import, not the hundredth request.
 */

function str(name: string, fallback?: string): string {
  const value = process.env[name] || fallback;
  if (value === undefined || value === '') throw new Error(`configuration: ${name} is required`);
  return value;
}

function int(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`configuration: ${name} must be an integer in [${min}, ${max}], got ${raw}`);
  }
  return value;
}

/** A 32-byte key in base64; unset, the published development key (never secret). */
function encryptionKey(name: string, local: boolean): Buffer {
  const raw = process.env[name];
  if ((raw === undefined || raw === '') && local)
    return createHash('sha256').update('cen-bandwidth local development').digest();
  if (raw === undefined || raw === '') throw new Error(`configuration: ${name} is required on AWS`);
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new Error(`configuration: ${name} must be 32 bytes in base64`);
  return key;
}

export interface Config {
  tableName: string;
  /** Set only locally (DynamoDB Local); on AWS the SDK finds the regional endpoint itself. */
  dynamodbEndpoint: string | undefined;
  region: string;
  /** How long a released package stays `Expired` before the job releases it. */
  gracePeriodDays: number;
  /** Shards of the due-time index; see docs/data-model.md. */
  dueShards: number;
  apiKeyCacheSeconds: number;
  /** The HMAC key of pagination tokens (db/pagination.ts): required on AWS, a fixed one locally. */
  paginationSecret: string;
  /** Rule 12: the quotas of an account that has none of its own (operators set them per account). */
  defaultQuotas: { cens: number; bandwidthPackages: number; networks: number };
  /**
   * AES-256 key that seals AccessKey secrets in the table (docs/alibaba-api.md): base64 of 32
   * bytes in ACCESS_KEY_ENCRYPTION_KEY; unset, a fixed development key (the local stack only).
   */
  accessKeyEncryptionKey: Buffer;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** The stage (`dev`, `prod`, …); set by serverless. */
  stage: string;
  /**
   * The local emulator's controls are on (SPEC §6): the simulated clock and injected faults are
   * read from the table at the start of each request. Set only by serverless-offline's run
   * (local/emulator-plugin.js); never on AWS, where "now" is the wall clock with no read.
   */
  emulator: boolean;
  /**
   * How long a function reuses the emulator state it read (one `GetItem` per request otherwise);
   * a control that changes the state answers only after this long, so no request sent after its
   * answer sees the old state.
   */
  emulatorCacheMs: number;
}

const secrets = new Map<string, unknown>();
/** A secret, read (and checked) the first time it is used, then kept. */
function once<T>(name: string, read: () => T): T {
  if (!secrets.has(name)) secrets.set(name, read());
  return secrets.get(name) as T;
}

function load(): Config {
  const logLevel = str('LOG_LEVEL', 'info');
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new Error(`configuration: LOG_LEVEL must be debug, info, warn or error, got ${logLevel}`);
  }
  const dynamodbEndpoint = process.env.DYNAMODB_ENDPOINT || undefined;
  return {
    tableName: str('TABLE_NAME', 'cen-bandwidth-dev'),
    dynamodbEndpoint,
    region: str('AWS_REGION', 'us-east-1'),
    gracePeriodDays: int('GRACE_PERIOD_DAYS', 15, 0, 3650),
    dueShards: int('DUE_SHARDS', 4, 1, 64),
    apiKeyCacheSeconds: int('API_KEY_CACHE_SECONDS', 60, 0, 3600),
    // Locally the tokens only need to be tamper-evident to the API's own users; on AWS a secret
    // that nobody else knows makes them unforgeable (docs/deploy.md: PAGINATION_SECRET). Read on
    // first use, so that a script that needs no secret (npm start, create-api-key) never asks.
    get paginationSecret() {
      return once('paginationSecret', () =>
        str('PAGINATION_SECRET', dynamodbEndpoint ? 'cen-bandwidth-local-pagination-key' : undefined),
      );
    },
    defaultQuotas: {
      cens: int('DEFAULT_QUOTA_CENS', 100, 0, 100_000),
      bandwidthPackages: int('DEFAULT_QUOTA_BANDWIDTH_PACKAGES', 200, 0, 100_000),
      networks: int('DEFAULT_QUOTA_NETWORKS', 1_000, 0, 100_000),
    },
    get accessKeyEncryptionKey() {
      return once('accessKeyEncryptionKey', () =>
        encryptionKey('ACCESS_KEY_ENCRYPTION_KEY', dynamodbEndpoint !== undefined),
      );
    },
    logLevel: logLevel as Config['logLevel'],
    stage: str('STAGE', 'dev'),
    emulator: process.env.LOCAL_EMULATOR === 'true',
    emulatorCacheMs: int('EMULATOR_CACHE_MS', 200, 0, 5000),
  };
}

export const config: Config = load();
