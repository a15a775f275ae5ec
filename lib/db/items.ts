/** Small typed helpers over the document client; every read of a single item is consistent. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { db, TABLE, translate } from './client';
import type { Key } from './keys';

export type Item = Record<string, unknown>;

export async function getItem(key: Key): Promise<Item | undefined> {
  const out = await db
    .send(new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true }))
    .catch(translate);
  return out.Item;
}

/**
 * One item, parsed by its entity's schema: the data boundary. Code past it works with typed
 * values, never with `String(item.x)` coercions; an item that does not match its schema is a bug
 * (or data written by someone else) and fails here, loudly, instead of deep in a rule.
 */
export async function readItem<S extends z.ZodType>(key: Key, schema: S): Promise<z.output<S> | undefined> {
  const item = await getItem(key);
  return item === undefined ? undefined : schema.parse(item);
}

/** An old item returned by a failed condition, parsed the same way (absent: the item did not exist). */
export const parsed = <S extends z.ZodType>(schema: S, item: Item | undefined): z.output<S> | undefined =>
  item === undefined ? undefined : schema.parse(item);

/** Pick the public fields of an item, in the order given. */
export function pick<T>(item: Item, fields: readonly (keyof T & string)[]): T {
  return Object.fromEntries(fields.map((f) => [f, item[f] ?? null])) as T;
}
