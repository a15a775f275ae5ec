/**
 * Conditions and updates as small named pieces. A rule of the domain is one builder in the module
 * of its entity (lib/entities/*) that returns an `Expr`; writes combine them with `and` and
 * `updateOf`, so a rule is written once and read by its name wherever it holds.
 *
 * Placeholders are chosen by each builder (`:room`, `#pair`, …). Two pieces may share a
 * placeholder only with the same value: `and` and `updateOf` throw otherwise, so a clash is a
 * programming error found by the first test that builds the write, never a silently wrong write.
 */
import type { Update } from './client';
import type { Key } from './keys';

export interface Expr {
  text: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

export const expr = (
  text: string,
  values?: Record<string, unknown>,
  names?: Record<string, string>,
): Expr => ({
  text,
  ...(values ? { values } : {}),
  ...(names ? { names } : {}),
});

type Part = Expr | undefined | false;

function merge<T>(into: Record<string, T>, from: Record<string, T> | undefined, what: string): void {
  for (const [k, v] of Object.entries(from ?? {})) {
    if (k in into && !Object.is(into[k], v) && JSON.stringify(into[k]) !== JSON.stringify(v)) {
      throw new Error(
        `${what} ${k} is given two values: ${JSON.stringify(into[k])} and ${JSON.stringify(v)}`,
      );
    }
    into[k] = v;
  }
}

function join(parts: Part[], separator: string): Expr {
  const present = parts.filter((p): p is Expr => Boolean(p));
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const p of present) {
    merge(names, p.names, 'Attribute name');
    merge(values, p.values, 'Value');
  }
  return expr(
    present.map((p) => (present.length > 1 && / OR /.test(p.text) ? `(${p.text})` : p.text)).join(separator),
    values,
    names,
  );
}

/** Every piece holds (absent pieces, `undefined` or `false`, are left out). */
export const and = (...parts: Part[]): Expr => join(parts, ' AND ');

export interface Actions {
  set?: Part[];
  remove?: Part[];
  add?: Part[];
}

/** One conditional `UpdateItem` of `key`: its actions and the condition it commits under. */
export function updateOf(table: string, key: Key, actions: Actions, condition?: Expr): Update {
  const clauses: Expr[] = [];
  for (const [verb, parts] of [
    ['SET', actions.set],
    ['REMOVE', actions.remove],
    ['ADD', actions.add],
  ] as const) {
    const clause = join(parts ?? [], ', ');
    if (clause.text) clauses.push({ ...clause, text: `${verb} ${clause.text}` });
  }
  const update = join(clauses, ' ');
  const all = join([update, condition], ' ');
  return {
    TableName: table,
    Key: key,
    UpdateExpression: update.text,
    ...(condition?.text ? { ConditionExpression: condition.text } : {}),
    ...(Object.keys(all.names ?? {}).length ? { ExpressionAttributeNames: all.names } : {}),
    ...(Object.keys(all.values ?? {}).length ? { ExpressionAttributeValues: all.values } : {}),
  };
}

/** A condition as the attributes of a write (`Put`, `Delete`, `ConditionCheck`), empty maps left out. */
export function conditionOf(condition: Expr) {
  return {
    ConditionExpression: condition.text,
    ...(Object.keys(condition.names ?? {}).length ? { ExpressionAttributeNames: condition.names } : {}),
    ...(Object.keys(condition.values ?? {}).length ? { ExpressionAttributeValues: condition.values } : {}),
  };
}
