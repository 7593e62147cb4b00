/**
 * EventBridge's event-pattern matching, for the operators the docs use and a few neighbours,
 * written from the EventBridge user guide ("Event patterns", "Content filtering"): no npm
 * package implementing it is maintained well enough to depend on. An operator this does not
 * know throws, so a doc that starts using one fails loudly instead of matching by accident.
 *
 * - A pattern is an object; every key must match (AND). A key whose pattern value is an object
 *   descends into the event's object at that key.
 * - A leaf is an array of alternatives (OR). A literal matches an equal scalar; when the event's
 *   value is an array, any element may match.
 * - Operators: `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (a literal, a list, or
 *   `{prefix}`), `exists`, `numeric` (`<`, `<=`, `=`, `>=`, `>` pairs).
 */
export type EventPattern = { readonly [key: string]: readonly unknown[] | EventPattern };

export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern)) throw new Error('a pattern is an object');
  return Object.entries(pattern).every(([key, expected]) => {
    const present = isObject(event) && Object.hasOwn(event, key);
    const value = present ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(expected)) return expected.some((alternative) => matchesLeaf(alternative, present, value));
    if (!present || !isObject(value)) return false;
    return matchesPattern(expected as EventPattern, value);
  });
}

function matchesLeaf(alternative: unknown, present: boolean, value: unknown): boolean {
  if (isObject(alternative)) {
    const [operator, ...others] = Object.keys(alternative);
    if (!operator || others.length > 0) throw new Error(`one operator per matcher, got ${JSON.stringify(alternative)}`);
    const argument = alternative[operator];
    if (operator === 'exists') return argument === present && (argument === false || !isObject(value));
    if (!present) return false;
    const values = Array.isArray(value) ? value : [value];
    return values.some((v) => matchesOperator(operator, argument, v));
  }
  if (!present) return false;
  const values = Array.isArray(value) ? value : [value];
  return values.some((v) => v === alternative);
}

function matchesOperator(operator: string, argument: unknown, value: unknown): boolean {
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && typeof argument === 'string' && value.startsWith(argument);
    case 'suffix':
      return typeof value === 'string' && typeof argument === 'string' && value.endsWith(argument);
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof argument === 'string' && value.toLowerCase() === argument.toLowerCase();
    case 'anything-but':
      if (isObject(argument)) return !matchesOperator(Object.keys(argument)[0] ?? '', Object.values(argument)[0], value);
      return !(Array.isArray(argument) ? argument : [argument]).includes(value);
    case 'numeric': {
      if (typeof value !== 'number' || !Array.isArray(argument)) return false;
      for (let i = 0; i < argument.length; i += 2) {
        const [op, bound] = [argument[i], argument[i + 1] as number];
        const ok =
          op === '<'
            ? value < bound
            : op === '<='
              ? value <= bound
              : op === '='
                ? value === bound
                : op === '>='
                  ? value >= bound
                  : op === '>'
                    ? value > bound
                    : undefined;
        if (ok === undefined) throw new Error(`unknown numeric comparison ${String(op)}`);
        if (!ok) return false;
      }
      return true;
    }
    default:
      throw new Error(`event pattern operator "${operator}" is not implemented here`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
