/** Small typed helpers over the document client; every read of a single item is consistent. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { db, TABLE, translate } from './client';
import type { Key } from './keys';

export type Item = Record<string, unknown>;

export async function getItem(key: Key): Promise<Item | undefined> {
  const out = await db
    .send(new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true }))
    .catch(translate);
  return out.Item;
}

/** Pick the public fields of an item, in the order given. */
export function pick<T>(item: Item, fields: readonly (keyof T & string)[]): T {
  return Object.fromEntries(fields.map((f) => [f, item[f] ?? null])) as T;
}
