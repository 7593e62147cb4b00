/**
 * EventBridge's event-pattern matching, written from the EventBridge user guide ("Event
 * patterns", "Content filtering", "Matching null values and empty strings"), for testing rules
 * against sample events without an AWS account (EventBridge's own TestEventPattern needs one;
 * no npm package implementing the semantics is maintained well enough to depend on). An operator
 * this does not know throws, so a pattern that starts using one fails loudly instead of matching
 * by accident.
 *
 * - A pattern is a non-empty object; every key must match (AND). A key whose value is an object
 *   descends into the event's object at that key (into each element, when the event holds an
 *   array of objects). `$or` holds a list of patterns, one of which must match.
 * - A leaf is a non-empty array of alternatives (OR). A literal (string, number, boolean, null)
 *   matches an equal scalar; when the event's value is an array, any element may match. An empty
 *   string and null are different values.
 * - Operators: `prefix`, `suffix` (a string, or `{"equals-ignore-case": ...}`), `equals-ignore-case`,
 *   `wildcard` (`*` for any run of characters), `anything-but` (a literal, a list, or `{prefix}`,
 *   `{suffix}`, `{wildcard}`, `{equals-ignore-case}`), `exists` (leaf values only: an object is not a
 *   leaf), `numeric` (`<`, `<=`, `=`, `>=`, `>` pairs, at most two).
 */
export type EventPattern = { readonly [key: string]: readonly unknown[] | EventPattern };

/** Whether `event` matches `pattern`; throws when the pattern is not valid (see `eventPatternProblems`). */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  const problems = eventPatternProblems(pattern);
  if (problems.length > 0) throw new Error(`invalid event pattern: ${problems.join('; ')}`);
  return matchesObject(pattern, event);
}

/** What EventBridge would refuse in `pattern` (PutRule's InvalidEventPatternException), as readable lines; empty when valid. */
export function eventPatternProblems(pattern: unknown): string[] {
  const problems: string[] = [];
  const visit = (node: unknown, path: string): void => {
    if (!isObject(node) || Object.keys(node).length === 0) {
      problems.push(`${path || 'the pattern'} must be a non-empty object`);
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      const at = path ? `${path}.${key}` : key;
      if (key === '$or') {
        if (!Array.isArray(value) || value.length < 2) problems.push(`${at} must list at least two patterns`);
        else
          value.forEach((alternative, i) => {
            visit(alternative, `${at}[${i}]`);
          });
      } else if (Array.isArray(value)) {
        if (value.length === 0) problems.push(`${at} must not be an empty array`);
        value.forEach((alternative, i) => {
          const problem = leafProblem(alternative);
          if (problem) problems.push(`${at}[${i}]: ${problem}`);
        });
      } else if (isObject(value)) visit(value, at);
      else problems.push(`${at} must be an array of values or an object, got ${JSON.stringify(value)}`);
    }
  };
  visit(pattern, '');
  return problems;
}

const NUMERIC_OPERATORS = new Set(['<', '<=', '=', '>=', '>']);

function leafProblem(alternative: unknown): string | undefined {
  if (alternative === null || ['string', 'number', 'boolean'].includes(typeof alternative)) return undefined;
  if (!isObject(alternative)) return `${JSON.stringify(alternative)} is neither a value nor an operator`;
  const keys = Object.keys(alternative);
  if (keys.length !== 1) return `one operator per matcher, got ${JSON.stringify(alternative)}`;
  const operator = keys[0] as string;
  const argument = alternative[operator];
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return typeof argument === 'string' || (isObject(argument) && typeof argument['equals-ignore-case'] === 'string')
        ? undefined
        : `${operator} takes a string or {"equals-ignore-case": string}`;
    case 'equals-ignore-case':
    case 'wildcard':
      return typeof argument === 'string' ? undefined : `${operator} takes a string`;
    case 'exists':
      return typeof argument === 'boolean' ? undefined : 'exists takes true or false';
    case 'anything-but': {
      if (typeof argument === 'string' || typeof argument === 'number') return undefined;
      if (Array.isArray(argument))
        return argument.length > 0 && argument.every((v) => typeof v === 'string' || typeof v === 'number')
          ? undefined
          : 'anything-but takes a non-empty list of strings or numbers';
      if (isObject(argument) && Object.keys(argument).length === 1) {
        const [inner] = Object.keys(argument) as [string];
        if (['prefix', 'suffix', 'wildcard', 'equals-ignore-case'].includes(inner) && typeof argument[inner] === 'string') return undefined;
      }
      return `anything-but does not take ${JSON.stringify(argument)}`;
    }
    case 'numeric': {
      if (!Array.isArray(argument) || (argument.length !== 2 && argument.length !== 4)) return 'numeric takes one or two comparisons';
      for (let i = 0; i < argument.length; i += 2)
        if (!NUMERIC_OPERATORS.has(argument[i] as string) || typeof argument[i + 1] !== 'number')
          return `numeric comparison ${JSON.stringify(argument.slice(i, i + 2))} is not one of < <= = >= > with a number`;
      return undefined;
    }
    default:
      return `event pattern operator "${operator}" is not implemented here`;
  }
}

function matchesObject(pattern: EventPattern, event: unknown): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') return (expected as readonly EventPattern[]).some((alternative) => matchesObject(alternative, event));
    const present = isObject(event) && Object.hasOwn(event, key);
    const value = present ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(expected)) return expected.some((alternative) => matchesLeaf(alternative, present, value));
    if (!present) return false;
    // EventBridge flattens arrays: a nested pattern matches when any object in the array does.
    const objects = Array.isArray(value) ? value.filter(isObject) : isObject(value) ? [value] : [];
    return objects.some((object) => matchesObject(expected as EventPattern, object));
  });
}

function matchesLeaf(alternative: unknown, present: boolean, value: unknown): boolean {
  if (isObject(alternative)) {
    const [operator] = Object.keys(alternative) as [string];
    const argument = alternative[operator];
    if (operator === 'exists') return argument === (present && isLeaf(value));
    if (!present) return false;
    return valuesOf(value).some((v) => matchesOperator(operator, argument, v));
  }
  if (!present) return false;
  return valuesOf(value).some((v) => v === alternative);
}

/** The scalars an event value offers to a matcher: itself, or the elements of an array. */
function valuesOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function isLeaf(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 && !value.some(isObject) : !isObject(value);
}

function matchesOperator(operator: string, argument: unknown, value: unknown): boolean {
  switch (operator) {
    case 'prefix':
    case 'suffix': {
      if (typeof value !== 'string') return false;
      const ignoreCase = isObject(argument);
      const expected = String(ignoreCase ? argument['equals-ignore-case'] : argument);
      const [subject, affix] = ignoreCase ? [value.toLowerCase(), expected.toLowerCase()] : [value, expected];
      return operator === 'prefix' ? subject.startsWith(affix) : subject.endsWith(affix);
    }
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === String(argument).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcardRegExp(String(argument)).test(value);
    case 'anything-but':
      if (isObject(argument)) {
        const [inner] = Object.keys(argument) as [string];
        return typeof value === 'string' && !matchesOperator(inner, argument[inner], value);
      }
      return !(Array.isArray(argument) ? argument : [argument]).includes(value);
    case 'numeric': {
      if (typeof value !== 'number') return false;
      const comparisons = argument as readonly unknown[];
      for (let i = 0; i < comparisons.length; i += 2)
        if (!compare(value, comparisons[i] as string, comparisons[i + 1] as number)) return false;
      return true;
    }
    default:
      throw new Error(`event pattern operator "${operator}" is not implemented here`);
  }
}

function compare(value: number, operator: string, bound: number): boolean {
  switch (operator) {
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '=':
      return value === bound;
    case '>=':
      return value >= bound;
    default:
      return value > bound;
  }
}

function wildcardRegExp(wildcard: string): RegExp {
  const escaped = wildcard.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
