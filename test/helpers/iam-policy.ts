/**
 * Enough of IAM's policy evaluation to ask a resource policy the stack writes "does this statement
 * apply to this request?": action and resource patterns, `*` principals, and the condition
 * operators the stack uses. An operator it does not know is an error, never a guess.
 */
import { BlockList, isIP } from 'node:net';

/** A request as IAM sees it: who, what, on what, and the condition context keys. */
export interface PolicyRequest {
  readonly action: string;
  readonly resource: string;
  /** Context keys; a multivalued key (e.g. events:source of a batch) is an array. */
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

function wildcard(pattern: string, value: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return regex.test(value);
}

function inRange(cidr: string, address: string): boolean {
  const [network = '', prefix] = cidr.split('/');
  const family = isIP(network) === 6 ? 'ipv6' : 'ipv4';
  if ((isIP(address) === 6 ? 'ipv6' : 'ipv4') !== family) return false;
  const list = new BlockList();
  list.addSubnet(network, Number(prefix ?? (family === 'ipv6' ? 128 : 32)), family);
  return list.check(address, family);
}

const MATCHERS: Record<string, (expected: string, actual: string) => boolean> = {
  StringEquals: (expected, actual) => expected === actual,
  ArnEquals: (expected, actual) => expected === actual,
  ArnLike: wildcard,
  Bool: (expected, actual) => expected.toLowerCase() === actual.toLowerCase(),
  IpAddress: inRange,
};
const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
  NotIpAddress: 'IpAddress',
};

function conditionHolds(operator: string, key: string, expectedValues: string[], context: PolicyRequest['context']): boolean {
  const [setOperator, base] = operator.includes(':') ? (operator.split(':') as [string, string]) : [undefined, operator];
  const present = context[key];
  const actualValues = present === undefined ? [] : typeof present === 'string' ? [present] : [...present];
  const negatedBase = NEGATED[base];
  const match = MATCHERS[negatedBase ?? base];
  if (!match) throw new Error(`iam-policy: no model for the condition operator ${operator}`);
  const anyExpected = (actual: string) => expectedValues.some((expected) => match(expected, actual));
  if (setOperator === 'ForAnyValue') return actualValues.some((actual) => (negatedBase ? !anyExpected(actual) : anyExpected(actual)));
  if (setOperator === 'ForAllValues') return actualValues.every((actual) => (negatedBase ? !anyExpected(actual) : anyExpected(actual)));
  if (setOperator !== undefined) throw new Error(`iam-policy: no model for ${operator}`);
  if (actualValues.length !== 1) {
    // A single-valued operator on a missing key: a positive condition fails, a negated one holds.
    if (actualValues.length === 0) return negatedBase !== undefined;
    throw new Error(`iam-policy: ${operator} on the multivalued key ${key}`);
  }
  const matched = anyExpected(actualValues[0] as string);
  return negatedBase ? !matched : matched;
}

/** Whether `statement` applies to `request` (principal `*` only: what the stack's resource policies use). */
export function statementApplies(statement: PolicyStatement, request: PolicyRequest): boolean {
  const principal = JSON.stringify(statement.Principal);
  if (principal !== JSON.stringify({ AWS: '*' }) && principal !== '"*"')
    throw new Error(`iam-policy: no model for the principal ${principal}`);
  if (![statement.Action].flat().some((pattern) => wildcard(pattern, request.action))) return false;
  if (![statement.Resource].flat().some((pattern) => wildcard(pattern, request.resource))) return false;
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      if (!conditionHolds(operator, key, [expected].flat(), request.context)) return false;
    }
  }
  return true;
}

/** What a resource policy alone decides: an applicable Deny wins, then an applicable Allow, else nothing. */
export function resourcePolicyDecision(statements: readonly PolicyStatement[], request: PolicyRequest): 'deny' | 'allow' | 'no opinion' {
  const applicable = statements.filter((statement) => statementApplies(statement, request));
  if (applicable.some((statement) => statement.Effect === 'Deny')) return 'deny';
  return applicable.length > 0 ? 'allow' : 'no opinion';
}
