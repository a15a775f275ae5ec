/**
 * One paginated `Query`, the only read shape of every list endpoint. With a filter, DynamoDB
 * applies `Limit` before filtering, so this keeps reading until it has `limit` matches, the
 * partition ends, or it has made MAX_QUERIES calls: every request reads a bounded number of items,
 * however few of them match (a filtered list over 20,000 packages reads at most 100 items per
 * request). The token is built from the last item returned, or, when the read budget ran out
 * first, from where the reading stopped: then a page may hold fewer than `limit` items (even none)
 * and still have a `nextToken`. No item is skipped or repeated.
 */
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { db, TABLE, translate } from './client';
import { decodeToken, encodeToken, type StartKey } from './pagination';

/** Query calls per request, and items per call when filtering: at most 100 items read. */
const MAX_QUERIES = 2;
const FILTERED_PAGE = 50;

export interface ListQuery {
  index?: 'GSI1' | 'GSI2';
  partition: string;
  /** Restrict to sort keys starting with this (on the table's own `SK`). */
  sortPrefix?: string;
  limit: number;
  nextToken?: string;
  /** Equality filters on plain attributes, applied after the key condition. */
  equals?: Record<string, string | undefined>;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export async function listPage(query: ListQuery): Promise<Page<Record<string, unknown>>> {
  const pkAttr = query.index ? `${query.index}PK` : 'PK';
  const skAttr = query.index ? `${query.index}SK` : 'SK';
  const keyAttrs = query.index ? ['PK', 'SK', pkAttr, skAttr] : ['PK', 'SK'];
  const { limit: _limit, nextToken: _token, ...selection } = query;
  const scope = { ...selection, equals: definedOnly(query.equals) };
  let startKey = decodeToken(scope, query.nextToken, keyAttrs);

  const names: Record<string, string> = { '#pk': pkAttr };
  const values: Record<string, unknown> = { ':pk': query.partition };
  let keyCondition = '#pk = :pk';
  if (query.sortPrefix) {
    names['#sk'] = skAttr;
    values[':prefix'] = query.sortPrefix;
    keyCondition += ' AND begins_with(#sk, :prefix)';
  }
  const filters: string[] = [];
  for (const [attr, value] of Object.entries(query.equals ?? {})) {
    if (value === undefined) continue;
    names[`#f_${attr}`] = attr;
    values[`:f_${attr}`] = value;
    filters.push(`#f_${attr} = :f_${attr}`);
  }

  const items: Record<string, unknown>[] = [];
  let more = true;
  let queries = 0;
  while (items.length < query.limit && more && queries < MAX_QUERIES) {
    queries++;
    const input: QueryCommandInput = {
      TableName: TABLE,
      IndexName: query.index,
      KeyConditionExpression: keyCondition,
      FilterExpression: filters.length ? filters.join(' AND ') : undefined,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ExclusiveStartKey: startKey,
      // One extra item tells us whether another page exists without a second round trip.
      Limit: filters.length ? Math.max(query.limit + 1, FILTERED_PAGE) : query.limit - items.length + 1,
      ConsistentRead: query.index ? undefined : true,
    };
    const out = await db.send(new QueryCommand(input)).catch(translate);
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey as StartKey | undefined;
    more = startKey !== undefined;
  }

  if (items.length <= query.limit && !more) return { items };
  if (items.length < query.limit) {
    // The read budget ran out before `limit` matches: go on from where the reading stopped.
    return { items, nextToken: encodeToken(scope, startKey as StartKey) };
  }
  const page = items.slice(0, query.limit);
  const last = page[page.length - 1]!;
  const token = Object.fromEntries(keyAttrs.map((k) => [k, String(last[k])]));
  return { items: page, nextToken: encodeToken(scope, token) };
}

function definedOnly(values: Record<string, string | undefined> | undefined) {
  return Object.fromEntries(Object.entries(values ?? {}).filter(([, v]) => v !== undefined));
}
