/**
 * A small evaluator of DynamoDB condition expressions, for unit tests of the rule builders without
 * a database: the subset the builders use (comparisons, `AND`/`OR`/`NOT`, parentheses,
 * `attribute_exists`, `attribute_not_exists`, `attribute_type`, document paths with `#names` and
 * dots). It also checks what DynamoDB checks before it evaluates anything: every placeholder is
 * defined, and every defined one is used. Behaviour against DynamoDB itself is what the
 * integration tests check; this only lets a rule's meaning be tested in milliseconds.
 */
type Values = Record<string, unknown>;

export interface Expression {
  text: string;
  names?: Record<string, string>;
  values?: Values;
}

const TOKEN = /<>|<=|>=|=|<|>|\(|\)|,|[#:]?[A-Za-z_][A-Za-z0-9_]*(?:\.#?[A-Za-z_][A-Za-z0-9_]*)*/g;

function tokenize(text: string): string[] {
  const tokens = text.match(TOKEN) ?? [];
  if (tokens.join('') !== text.replace(/\s+/g, '')) throw new Error(`Cannot read ${JSON.stringify(text)}`);
  return tokens;
}

/** The placeholders an expression uses that it does not define, and those it defines but does not use. */
export function placeholderProblems(e: Expression, updateText = ''): string[] {
  const text = `${e.text} ${updateText}`;
  const used = new Set(text.match(/[#:][A-Za-z_][A-Za-z0-9_]*/g) ?? []);
  const defined = [...Object.keys(e.names ?? {}), ...Object.keys(e.values ?? {})];
  return [
    ...[...used].filter((p) => !defined.includes(p)).map((p) => `undefined ${p}`),
    ...defined.filter((p) => !used.has(p)).map((p) => `unused ${p}`),
  ];
}

/** Evaluate the condition against an item (absent: the item does not exist). */
export function evaluate(e: Expression, item: Values | undefined): boolean {
  const problems = placeholderProblems(e).filter((p) => p.startsWith('undefined'));
  if (problems.length) throw new Error(`Invalid expression: ${problems.join(', ')}`);
  const tokens = tokenize(e.text);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++]!;
  const expect = (t: string) => {
    if (next() !== t) throw new Error(`Expected ${t} in ${e.text}`);
  };

  const path = (token: string): unknown => {
    let at: unknown = item;
    for (const part of token.split('.')) {
      const name = part.startsWith('#') ? e.names![part]! : part;
      at = at !== null && typeof at === 'object' ? (at as Values)[name] : undefined;
    }
    return at;
  };
  const operand = (token: string): unknown => (token.startsWith(':') ? e.values![token] : path(token));

  const typeOf = (v: unknown) =>
    v === null
      ? 'NULL'
      : typeof v === 'string'
        ? 'S'
        : typeof v === 'number'
          ? 'N'
          : typeof v === 'boolean'
            ? 'BOOL'
            : 'M';

  function primary(): boolean {
    const t = next();
    if (t === '(') {
      const v = or();
      expect(')');
      return v;
    }
    if (t === 'NOT') return !primary();
    if (t === 'attribute_exists' || t === 'attribute_not_exists' || t === 'attribute_type') {
      expect('(');
      const p = path(next());
      let type: unknown;
      if (t === 'attribute_type') {
        expect(',');
        type = operand(next());
      }
      expect(')');
      if (t === 'attribute_exists') return p !== undefined;
      if (t === 'attribute_not_exists') return p === undefined;
      return p !== undefined && typeOf(p) === type;
    }
    const left = operand(t);
    const op = next();
    const right = operand(next());
    if (left === undefined || right === undefined) return op === '<>' && left !== right;
    switch (op) {
      case '=':
        return JSON.stringify(left) === JSON.stringify(right);
      case '<>':
        return JSON.stringify(left) !== JSON.stringify(right);
    }
    if (typeof left !== typeof right) return false;
    const [a, b] = [left as number | string, right as number | string];
    return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  }
  function and(): boolean {
    let v = primary();
    while (peek() === 'AND') {
      next();
      const w = primary();
      v = v && w;
    }
    return v;
  }
  function or(): boolean {
    let v = and();
    while (peek() === 'OR') {
      next();
      const w = and();
      v = v || w;
    }
    return v;
  }
  const result = or();
  if (i !== tokens.length) throw new Error(`Unread ${tokens.slice(i).join(' ')} in ${e.text}`);
  return result;
}

/** The condition of an `Update`/`Delete`/`Put` as an expression. */
export const conditionOf = (write: {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Values;
}): Expression => ({
  text: write.ConditionExpression ?? '',
  names: write.ExpressionAttributeNames,
  values: write.ExpressionAttributeValues,
});
