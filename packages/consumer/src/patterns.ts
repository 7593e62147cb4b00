import { profileStatusSpellings, type ProfileStatus } from '../../../lambda/core/amani-payloads';
import { DEFAULT_EVENT_SOURCE, SAFE_NAME, type AmaniDetailType } from '../../../lambda/core/event-contract';
import { eventSource } from '../../../lambda/core/validators';
import { eventPatternProblems } from './event-pattern';

/** What `amaniEventPattern` selects; every list must hold at least one entry when given. */
export interface AmaniEventPatternOptions {
  /** The stack's `eventSource` setting; default `amani`. */
  readonly source?: string;
  /** Detail-types (Amani event names) to match; all when omitted. A name this package does not know yet is allowed. */
  readonly events?: readonly (AmaniDetailType | (string & {}))[];
  /**
   * Profile statuses (`detail.data.profile.status`) to match, in either spelling: a known status
   * matches both the spelling given and its other one (`APPROVED` and `Approved`).
   */
  readonly statuses?: readonly (ProfileStatus | (string & {}))[];
}

/** An EventBridge event pattern, as PutRule, CloudFormation and the console take it. */
export interface AmaniEventPattern {
  readonly source: string[];
  readonly 'detail-type'?: string[];
  readonly detail?: { readonly data: { readonly profile: { readonly status: string[] } } };
}

/**
 * The EventBridge pattern for the events this product publishes, narrowed to `events` and
 * `statuses`. Always valid: the inputs are checked (a wrong one throws) and the result passes
 * `eventPatternProblems`.
 *
 * ```ts
 * amaniEventPattern({ events: ['profile_status_change'], statuses: ['APPROVED'] })
 * // { source: ['amani'], 'detail-type': ['profile_status_change'],
 * //   detail: { data: { profile: { status: ['APPROVED', 'Approved'] } } } }
 * ```
 */
export function amaniEventPattern(options: AmaniEventPatternOptions = {}): AmaniEventPattern {
  const source = options.source ?? DEFAULT_EVENT_SOURCE;
  if (!eventSource().safeParse(source).success) throw new TypeError('source must be 1 to 256 characters without spaces, not aws.*');
  const events = listOption('events', options.events, (name) => SAFE_NAME.test(name), 'an event name (letters, digits, _ . : -)');
  const statuses = listOption('statuses', options.statuses, (status) => status.trim() !== '', 'a non-empty status');
  const pattern: AmaniEventPattern = {
    source: [source],
    ...(events ? { 'detail-type': events } : {}),
    ...(statuses ? { detail: { data: { profile: { status: unique(statuses.flatMap(profileStatusSpellings)) } } } } : {}),
  };
  const problems = eventPatternProblems(pattern);
  if (problems.length > 0) throw new Error(`amaniEventPattern built an invalid pattern: ${problems.join('; ')}`);
  return pattern;
}

/** The same pattern in the shape CDK's `events.Rule({ eventPattern })` takes (`detailType` for `detail-type`). */
export function toCdkEventPattern(pattern: AmaniEventPattern): {
  source: string[];
  detailType?: string[];
  detail?: { [key: string]: unknown };
} {
  const { 'detail-type': detailType, ...rest } = pattern;
  return { ...rest, ...(detailType ? { detailType } : {}) };
}

function listOption(
  name: string,
  values: readonly string[] | undefined,
  valid: (value: string) => boolean,
  what: string,
): string[] | undefined {
  if (values === undefined) return undefined;
  if (!Array.isArray(values) || values.length === 0) throw new TypeError(`${name} must list at least one entry (omit it to match all)`);
  for (const value of values)
    if (typeof value !== 'string' || !valid(value)) throw new TypeError(`${name}: ${JSON.stringify(value)} is not ${what}`);
  return unique(values);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
