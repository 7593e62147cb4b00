/**
 * The deployment configuration: CDK context (`-c key=value` or cdk.json), validated with zod.
 *
 * The first nine keys are the public contract (docs/contract.md); the rest are additions
 * documented in docs/deployment.md. Every invalid value fails `cdk synth` with a message naming
 * the key and what is allowed. This module has no side effects so tests import it directly.
 *
 * Values arrive as JSON types from cdk.json and as strings from `-c key=value`, so numbers,
 * booleans and lists accept both spellings.
 */
import { isIP } from 'node:net';
import * as z from 'zod';
import { AMANI_EVENTS, type AmaniEventName } from '../lambda/core/amani-events';
import {
  amaniBaseUrl,
  amaniEventNames,
  authMode,
  booleanFlag,
  DEFAULT_AMANI_BASE_URL,
  list,
  DEFAULT_METRICS_NAMESPACE,
  eventSource,
  fieldPaths,
  headerName,
  logLevel,
  matching,
  metricsNamespace,
  optional,
  wholeNumber,
  withDefault,
} from '../lambda/core/validators';
import { DEFAULT_DEDUP_WINDOW_HOURS } from '../lambda/core/delivery-ledger';
import { MAX_DEDUP_WINDOW_HOURS, RECEIVER_DEFAULTS } from '../lambda/receiver/env';
import { MAX_PREVIOUS_TOKEN_GRACE_MINUTES, ROTATOR_DEFAULTS } from '../lambda/rotator/env';

export { AMANI_EVENTS, type AmaniEventName };

/** Valid CloudWatch Logs retention periods, in days (the API accepts only these). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The stage name that is always a production stage (`production` context key). */
export const PRODUCTION_STAGE = 'prod';

/** Longest `noTrafficAlarmHours`: one-hour periods, and CloudWatch evaluates at most 7 days of them. */
export const NO_TRAFFIC_ALARM_MAX_HOURS = 168;

/** Added to the rotation interval before "rotation overdue" alarms (the alarm's daily periods + retries). */
export const ROTATION_OVERDUE_SLACK_HOURS = 48;

const PARTITION = 'arn:aws[a-z-]*';

/** The API types the receiver can sit behind (`api` context key). */
export const API_TYPES = ['rest', 'http'] as const;
export type ApiType = (typeof API_TYPES)[number];

/** Receiver reserved concurrency when `receiverReservedConcurrency` is unset (0 turns the reservation off). */
export const DEFAULT_RECEIVER_RESERVED_CONCURRENCY = 100;

/** Most entries `allowedSourceCidrs` takes (the REST API resource policy is limited in size). */
export const MAX_ALLOWED_SOURCE_CIDRS = 50;

/** WAF's smallest rate-based limit. */
export const WAF_MIN_RATE_LIMIT = 10;

/**
 * The default per-IP limit of the WAF rate-based rule, requests per source IP per minute: half
 * of what the stage throttle lets through in a minute. One address sending more than half the
 * stage's capacity is a flood (Amani's own egress would have to carry more than half of all
 * deliveries from one address for a minute), and blocking it at WAF keeps the stage throttle
 * free for everyone else.
 */
export function defaultWafRequestsPerIpPerMinute(throttlingRateLimit: number): number {
  return Math.max(WAF_MIN_RATE_LIMIT, Math.floor((throttlingRateLimit * 60) / 2));
}

// ---------------------------------------------------------------------------------------------
// Source address ranges
// ---------------------------------------------------------------------------------------------

/** The address bits of an IPv4 or IPv6 address (callers check `isIP` first). */
function addressBits(address: string, family: 4 | 6): bigint {
  if (family === 4) return address.split('.').reduce((bits, octet) => (bits << 8n) | BigInt(Number(octet)), 0n);
  let text = address;
  // An IPv4-mapped tail (::ffff:192.0.2.1) counts as two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const bits = addressBits(v4[1] as string, 4);
    text = `${text.slice(0, v4.index)}${(bits >> 16n).toString(16)}:${(bits & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = tail === undefined ? groups(head) : [...groups(head), ...Array<string>(missing).fill('0'), ...groups(tail)];
  return all.reduce((bits, group) => (bits << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

/**
 * Reads one `allowedSourceCidrs` entry: an IPv4 or IPv6 network in CIDR notation, or a single
 * address (meaning /32 or /128). Returns the entry as API Gateway gets it, or the problem.
 */
export function parseSourceCidr(entry: string): { cidr: string } | { problem: string } {
  const [address = '', prefix, extra] = entry.trim().split('/');
  const family = isIP(address);
  if (extra !== undefined || (family !== 4 && family !== 6)) {
    return { problem: `"${entry}" is not an IPv4 or IPv6 address or CIDR range (e.g. 203.0.113.0/24 or 2001:db8::/32)` };
  }
  const width = family === 4 ? 32 : 128;
  if (prefix === undefined) return { cidr: `${address}/${width}` };
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > width) return { problem: `"${entry}": the prefix length must be 0 to ${width}` };
  const length = Number(prefix);
  if (length === 0) return { problem: `"${entry}" allows every address: leave allowedSourceCidrs unset instead` };
  const hostBits = addressBits(address, family) & ((1n << BigInt(width - length)) - 1n);
  if (hostBits !== 0n) return { problem: `"${entry}" has bits set after the /${length} prefix: write the network address of the range` };
  return { cidr: `${address}/${length}` };
}

const sourceCidrs = () =>
  z
    .unknown()
    .pipe(list(z.string({ error: 'each entry must be a string' }), 'IPv4/IPv6 CIDR ranges such as 203.0.113.0/24'))
    .transform((entries, ctx) => {
      const cidrs: string[] = [];
      for (const [index, entry] of entries.entries()) {
        const parsed = parseSourceCidr(entry);
        if ('problem' in parsed) ctx.addIssue({ code: 'custom', path: [index], message: parsed.problem });
        else cidrs.push(parsed.cidr);
      }
      return [...new Set(cidrs)];
    })
    .pipe(
      z
        .array(z.string())
        .min(1, 'must list at least one range; leave it unset to accept every source address')
        .max(MAX_ALLOWED_SOURCE_CIDRS, `takes at most ${MAX_ALLOWED_SOURCE_CIDRS} ranges`),
    );

/** A DNS name API Gateway can serve: lower-case labels, at least two, no wildcard. */
const DOMAIN_NAME = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

// ---------------------------------------------------------------------------------------------
// Schedules
// ---------------------------------------------------------------------------------------------

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON_FIELD = /^[0-9A-Za-z*?,/#L W-]+$/;

export interface ParsedSchedule {
  readonly kind: 'rate' | 'cron';
  /**
   * Longest expected gap between two runs, in hours: exact for `rate()`, a conservative upper
   * bound for `cron()` (so a derived "overdue" alarm can be late, never falsely early).
   */
  readonly intervalHours: number;
}

/** Parses an EventBridge Scheduler recurring expression; returns a problem description instead on failure. */
export function parseRotationSchedule(expression: string): ParsedSchedule | string {
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] as string;
    if (value < 1) return 'the rate value must be at least 1';
    if (value === 1 && unit.endsWith('s')) return `use the singular unit for a rate of 1, e.g. rate(1 ${unit.slice(0, -1)})`;
    if (value > 1 && !unit.endsWith('s')) return `use the plural unit for a rate above 1, e.g. rate(${value} ${unit}s)`;
    const hours = unit.startsWith('minute') ? value / 60 : unit.startsWith('hour') ? value : value * 24;
    return { kind: 'rate', intervalHours: hours };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) {
    const fields = (cron[1] as string).trim().split(/\s+/);
    if (fields.length !== 6) return 'a cron expression has six fields: cron(minutes hours day-of-month month day-of-week year)';
    if (!fields.every((field) => CRON_FIELD.test(field))) return 'a cron field contains characters EventBridge Scheduler does not allow';
    const [, , dayOfMonth, month, dayOfWeek, year] = fields as [string, string, string, string, string, string];
    if ((dayOfMonth === '?') === (dayOfWeek === '?')) return 'exactly one of day-of-month and day-of-week must be ?';
    let hours = 24;
    if (year !== '*' || month !== '*') hours = 366 * 24;
    else if (dayOfMonth !== '?' && dayOfMonth !== '*') hours = 31 * 24;
    else if (dayOfWeek !== '?' && dayOfWeek !== '*') hours = 7 * 24;
    return { kind: 'cron', intervalHours: hours };
  }
  if (expression.startsWith('at(')) return 'a one-time at() schedule cannot rotate repeatedly; use rate() or cron()';
  return 'must be rate(<n> minutes|hours|days) or cron(<6 fields>)';
}

// ---------------------------------------------------------------------------------------------
// The schema: the validators and defaults the functions' environments use (lambda/core/validators.ts,
// lambda/<function>/env.ts), so what synth accepts the functions accept.
// ---------------------------------------------------------------------------------------------

const arn = (allowed: string, pattern: string) => matching(allowed, new RegExp(`^${PARTITION}:${pattern}$`));

const contextKeys = z.object({
  // --- public contract ---
  stage: withDefault(
    matching('letters, digits and hyphens, starting with a letter, at most 24 characters', /^[A-Za-z][A-Za-z0-9-]{0,23}$/),
    'dev',
  ),
  amaniBaseUrl: withDefault(amaniBaseUrl(), DEFAULT_AMANI_BASE_URL),
  authMode: withDefault(authMode(), RECEIVER_DEFAULTS.authMode),
  signatureHeader: withDefault(headerName(), RECEIVER_DEFAULTS.signatureHeader),
  tokenHeader: withDefault(headerName(), RECEIVER_DEFAULTS.tokenHeader),
  events: withDefault(amaniEventNames(), [...AMANI_EVENTS]),
  eventSource: withDefault(eventSource(), RECEIVER_DEFAULTS.eventSource),
  rotationSchedule: withDefault(
    z.string({ error: 'must be a string' }).min(1, 'rate(<n> minutes|hours|days) or cron(<6 fields>)'),
    'rate(30 days)',
  ),
  previousTokenGraceMinutes: withDefault(
    wholeNumber(0, MAX_PREVIOUS_TOKEN_GRACE_MINUTES, `from 0 to ${MAX_PREVIOUS_TOKEN_GRACE_MINUTES} (7 days)`),
    ROTATOR_DEFAULTS.previousTokenGraceMinutes,
  ),
  secretCacheTtlSeconds: withDefault(
    wholeNumber(1, 300, 'from 1 to 300 (seconds a warm receiver trusts its copy of the token secret: the revocation bound)'),
    RECEIVER_DEFAULTS.secretCacheTtlSeconds,
  ),

  // --- additions (docs/deployment.md) ---
  // Unset: true exactly for stage "prod" (derived below).
  production: optional(booleanFlag()),
  credentialsSecret: optional(
    matching(
      'the name or ARN of an existing Secrets Manager secret',
      new RegExp(`^(${PARTITION}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$`),
    ),
  ),
  credentialsSecretKmsKeyArn: optional(
    arn('the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>)', 'kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]+'),
  ),
  throttlingRateLimit: withDefault(wholeNumber(1, 10000, 'from 1 to 10000 (requests per second)'), 50),
  throttlingBurstLimit: withDefault(wholeNumber(1, 5000, 'from 1 to 5000 (requests)'), 100),
  archiveRetentionDays: withDefault(wholeNumber(0, 3650, 'from 0 (keep forever) to 3650'), 30),
  logRetentionDays: withDefault(
    z.preprocess(
      (value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value),
      z.union(
        LOG_RETENTION_DAYS.map((days) => z.literal(days)),
        { error: `must be one of the CloudWatch Logs retention periods: ${LOG_RETENTION_DAYS.join(', ')}` },
      ),
    ),
    90,
  ),
  tracing: withDefault(booleanFlag(), false),
  logLevel: withDefault(logLevel(), 'INFO'),
  alarmTopicArn: optional(
    arn('the ARN of an SNS topic (arn:aws:sns:<region>:<account>:<name>)', 'sns:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?'),
  ),
  authFailureAlarmThreshold: withDefault(wholeNumber(1, 100000, 'from 1 to 100000 (failures per 5 minutes)'), 10),
  disableEventsOnDelete: withDefault(booleanFlag(), true),
  rotationOverdueAfterHours: optional(wholeNumber(1, 87840, 'from 1 to 87840 (hours)')),
  noTrafficAlarmHours: optional(
    wholeNumber(
      1,
      NO_TRAFFIC_ALARM_MAX_HOURS,
      `from 1 to ${NO_TRAFFIC_ALARM_MAX_HOURS} (hours without an accepted delivery before the NoDeliveries alarm fires; CloudWatch evaluates an alarm over at most 7 days); leave it unset for no alarm`,
    ),
  ),
  metricsNamespace: optional(metricsNamespace()),
  eventNamePaths: optional(fieldPaths({ atLeastOne: true })),
  deliveryIdPaths: optional(fieldPaths({ atLeastOne: false })),
  webAclArn: optional(arn('the ARN of a regional WAFv2 web ACL', 'wafv2:[a-z0-9-]+:\\d{12}:regional/webacl/.+')),
  dedupWindowHours: withDefault(
    wholeNumber(
      1,
      MAX_DEDUP_WINDOW_HOURS,
      `from 1 to ${MAX_DEDUP_WINDOW_HOURS} (hours during which a delivery id is published at most once)`,
    ),
    DEFAULT_DEDUP_WINDOW_HOURS,
  ),
  apiGatewayCloudWatchRole: withDefault(booleanFlag(), true),
  // --- edge (docs/deployment.md, "The edge") ---
  api: withDefault(z.enum(API_TYPES, { error: `must be ${API_TYPES.map((type) => `'${type}'`).join(' or ')}` }), 'rest'),
  // Unset: true exactly for production stages with a REST API and no webAclArn (derived below).
  waf: optional(booleanFlag()),
  wafRequestsPerIpPerMinute: optional(
    wholeNumber(WAF_MIN_RATE_LIMIT, 2_000_000_000, `from ${WAF_MIN_RATE_LIMIT} to 2000000000 (requests per source IP per minute)`),
  ),
  allowedSourceCidrs: optional(sourceCidrs()),
  domainName: optional(
    z.preprocess(
      (value) => (typeof value === 'string' ? value.trim().replace(/\.$/, '').toLowerCase() : value),
      matching('a DNS name such as webhooks.example.com (no scheme, path or wildcard)', DOMAIN_NAME),
    ),
  ),
  certificateArn: optional(
    arn(
      "the ARN of an ACM certificate in the stack's region (arn:aws:acm:<region>:<account>:certificate/<id>)",
      'acm:[a-z0-9-]+:\\d{12}:certificate/[A-Za-z0-9-]+',
    ),
  ),
  hostedZoneId: optional(matching('a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ', /^Z[A-Z0-9]{4,32}$/)),
  receiverReservedConcurrency: withDefault(
    wholeNumber(0, 100_000, 'from 0 (no reservation) to 100000 (concurrent receiver invocations)'),
    DEFAULT_RECEIVER_RESERVED_CONCURRENCY,
  ),
});

/** The context keys this app reads (cdk.json and `-c`). */
export const CONTEXT_KEYS = Object.keys(contextKeys.shape) as (keyof typeof contextKeys.shape)[];

/** Validates the context and yields the app's configuration (derived values included). */
export const contextSchema = contextKeys
  .superRefine((config, ctx) => {
    const schedule = parseRotationSchedule(config.rotationSchedule);
    if (typeof schedule === 'string') {
      ctx.addIssue({ code: 'custom', path: ['rotationSchedule'], message: schedule });
      return;
    }
    // The grace must end before the next rotation: the secret keeps one previous token only.
    if (schedule.kind === 'rate' && config.previousTokenGraceMinutes >= schedule.intervalHours * 60) {
      ctx.addIssue({
        code: 'custom',
        path: ['previousTokenGraceMinutes'],
        message: `must be shorter than the rotation interval (${schedule.intervalHours * 60} minutes for ${config.rotationSchedule})`,
      });
    }
    // A warm receiver may accept the old token for up to secretCacheTtlSeconds after a rotation,
    // whatever the grace says: so a grace must be 0 (none) or at least that long to mean what it says.
    const graceSeconds = config.previousTokenGraceMinutes * 60;
    if (graceSeconds > 0 && graceSeconds < config.secretCacheTtlSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['previousTokenGraceMinutes'],
        message: `must be 0 (no previous token; the old one is refused within secretCacheTtlSeconds) or at least secretCacheTtlSeconds (${config.secretCacheTtlSeconds} s): warm receivers keep accepting the old token that long after a rotation, so a shorter grace would not end when it says`,
      });
    }
    if (config.stage === PRODUCTION_STAGE && config.production === false) {
      ctx.addIssue({
        code: 'custom',
        path: ['production'],
        message: `stage "${PRODUCTION_STAGE}" is always a production stage (its data is retained); use another stage name for a disposable stack`,
      });
    }
    if ((config.production ?? config.stage === PRODUCTION_STAGE) && !config.alarmTopicArn) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarmTopicArn'],
        message:
          'is required for a production stage (stage=prod or production=true): production alarms must page someone. Pass -c alarmTopicArn=arn:aws:sns:<region>:<account>:<topic>',
      });
    }
    const production = config.production ?? config.stage === PRODUCTION_STAGE;
    if (config.waf === true && config.api === 'http') {
      ctx.addIssue({
        code: 'custom',
        path: ['waf'],
        message:
          'cannot protect an HTTP API: API Gateway HTTP APIs cannot take a WAF web ACL. Use api=rest for WAF, or waf=false to deploy the HTTP API without one',
      });
    }
    if (config.waf === true && config.webAclArn) {
      ctx.addIssue({
        code: 'custom',
        path: ['waf'],
        message:
          "true and webAclArn both attach a web ACL to the stage, which takes one: use waf=true for the stack's own web ACL, or webAclArn alone to attach yours (then add a per-IP rate-based rule to it yourself)",
      });
    }
    if (config.webAclArn && config.api === 'http') {
      ctx.addIssue({
        code: 'custom',
        path: ['webAclArn'],
        message: 'cannot be attached to an HTTP API (HTTP APIs take no web ACL); use api=rest',
      });
    }
    const waf = config.waf ?? (production && config.api === 'rest' && !config.webAclArn);
    if (config.wafRequestsPerIpPerMinute !== undefined && !waf) {
      ctx.addIssue({
        code: 'custom',
        path: ['wafRequestsPerIpPerMinute'],
        message: "is only meaningful with the stack's web ACL (waf=true, the default for production REST stages)",
      });
    }
    if (config.allowedSourceCidrs && config.api === 'http') {
      ctx.addIssue({
        code: 'custom',
        path: ['allowedSourceCidrs'],
        message: 'needs a REST API: it is enforced by the API resource policy, and HTTP APIs have none. Use api=rest, or leave it unset',
      });
    }
    if (config.domainName && !config.certificateArn) {
      ctx.addIssue({
        code: 'custom',
        path: ['certificateArn'],
        message: `is required with domainName: an ACM certificate for ${config.domainName} in the stack's region`,
      });
    }
    if (config.certificateArn && !config.domainName) {
      ctx.addIssue({ code: 'custom', path: ['certificateArn'], message: 'is only meaningful together with domainName' });
    }
    if (config.hostedZoneId && !config.domainName) {
      ctx.addIssue({ code: 'custom', path: ['hostedZoneId'], message: 'is only meaningful together with domainName' });
    }
    if (config.credentialsSecretKmsKeyArn && !config.credentialsSecret) {
      ctx.addIssue({
        code: 'custom',
        path: ['credentialsSecretKmsKeyArn'],
        message: 'is only meaningful together with credentialsSecret (a secret this stack creates uses the stack key)',
      });
    }
  })
  .transform((config) => {
    const schedule = parseRotationSchedule(config.rotationSchedule) as ParsedSchedule;
    const production = config.production ?? config.stage === PRODUCTION_STAGE;
    const waf = config.waf ?? (production && config.api === 'rest' && !config.webAclArn);
    return {
      ...config,
      events: config.events as AmaniEventName[],
      /** Retains the stack's data on delete, termination protection on, alarms must notify a topic. */
      production,
      /** The stack's own web ACL on the REST stage (per-IP rate limit, declared body size). */
      waf,
      wafRequestsPerIpPerMinute: waf
        ? (config.wafRequestsPerIpPerMinute ?? defaultWafRequestsPerIpPerMinute(config.throttlingRateLimit))
        : undefined,
      metricsNamespace: config.metricsNamespace ?? `${DEFAULT_METRICS_NAMESPACE}/${config.stage}`,
      /** Longest expected gap between rotations (exact for rate(), an upper bound for cron()). */
      rotationIntervalHours: schedule.intervalHours,
      rotationOverdueAfterHours: config.rotationOverdueAfterHours ?? Math.ceil(schedule.intervalHours + ROTATION_OVERDUE_SLACK_HOURS),
    };
  });

/** The validated deployment configuration the stack is built from. */
export type AppConfig = z.output<typeof contextSchema>;

export class ContextConfigurationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid CDK context (set with -c key=value or in cdk.json):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ContextConfigurationError';
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

// ---------------------------------------------------------------------------------------------
// Keys that are not ours
// ---------------------------------------------------------------------------------------------

/** Context keys of CDK and its CLI without a namespace (see `isCdkContextKey`). */
const CDK_PLAIN_KEYS = new Set(['cli-telemetry', 'acknowledged-issue-numbers']);

/**
 * Whether a context key belongs to CDK rather than to this app: feature flags (`@aws-cdk/...`),
 * CDK's and the CLI's settings (`aws:cdk:...`, `aws-cdk:...`), cached lookups
 * (`availability-zones:account=...`) all carry a `:` or start with `@`; the CLI's plain ones are
 * listed.
 */
export function isCdkContextKey(key: string): boolean {
  return key.startsWith('@') || key.includes(':') || CDK_PLAIN_KEYS.has(key);
}

/**
 * Every key that is neither ours nor CDK's, each with the key it most likely meant: `-c
 * credentialSecret=...` must not deploy with an empty credentials secret, nor `-c prodution=true`
 * without the production safeguards.
 */
export function unknownContextKeys(raw: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(raw)
    .filter((key) => !(CONTEXT_KEYS as string[]).includes(key) && !isCdkContextKey(key))
    .map((key) => {
      const meant = closestKey(key);
      return meant ? `"${key}": unknown key; did you mean "${meant}"?` : `"${key}": unknown key; the keys are ${CONTEXT_KEYS.join(', ')}`;
    });
}

/** The known key a misspelling most likely meant: same letters in another case, a few edits, or a prefix. */
function closestKey(key: string): string | undefined {
  const lower = key.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const known of CONTEXT_KEYS as string[]) {
    const candidate = known.toLowerCase();
    const distance = editDistance(lower, candidate);
    const close =
      distance <= Math.max(2, Math.floor(candidate.length / 4)) ||
      (lower.length >= 5 && (candidate.startsWith(lower) || lower.startsWith(candidate)));
    if (close && (!best || distance < best.distance)) best = { key: known, distance };
  }
  return best?.key;
}

/** Levenshtein distance (short keys only). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/**
 * Validates the whole context (key -> value as CDK holds it) into the app's configuration. Keys
 * of CDK itself are ignored; any other unknown key is an error, reported with the invalid values.
 */
export function parseContext(raw: Readonly<Record<string, unknown>>): AppConfig {
  const unknown = unknownContextKeys(raw);
  const result = contextSchema.safeParse(raw);
  const invalid = result.success
    ? []
    : result.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? '(context)');
        const entry = typeof issue.path[1] === 'number' ? ` (entry ${issue.path[1] + 1})` : '';
        return `"${key}": ${issue.message}${entry} (got ${describeValue(raw[key])})`;
      });
  if (unknown.length > 0 || !result.success) throw new ContextConfigurationError([...unknown, ...invalid]);
  return result.data;
}
