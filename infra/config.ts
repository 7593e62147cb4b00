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
import { z } from 'zod';
import { AMANI_EVENTS, type AmaniEventName } from '../lambda/core/amani-events';
import { DEFAULT_SECRET_CACHE_TTL_SECONDS } from '../lambda/receiver/config';

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

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PARTITION = 'arn:aws[a-z-]*';

// ---------------------------------------------------------------------------------------------
// Building blocks: each carries the "what is allowed" half of the error message.
// ---------------------------------------------------------------------------------------------

const blankToUndefined = (value: unknown) => (value === null || (typeof value === 'string' && value.trim() === '') ? undefined : value);
const trimmed = (value: unknown) => (typeof value === 'string' ? value.trim() : value);

function text(allowed: string, pattern?: RegExp) {
  const base = z.string({ error: `must be a string: ${allowed}` });
  return pattern ? base.regex(pattern, allowed) : base.min(1, allowed);
}

function integer(allowed: string, min: number, max: number) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value),
    z
      .number({ error: `must be a whole number ${allowed}` })
      .int(`must be a whole number ${allowed}`)
      .min(min, `must be a whole number ${allowed}`)
      .max(max, `must be a whole number ${allowed}`),
  );
}

function boolean() {
  return z.preprocess(
    (value) => (value === 'true' ? true : value === 'false' ? false : value),
    z.boolean({ error: 'must be true or false' }),
  );
}

/** A list: a JSON array (cdk.json), a JSON array in a string, or a comma-separated string. */
function list<T extends z.ZodType>(item: T, allowed: string) {
  return z.preprocess(
    (value) => {
      if (typeof value !== 'string') return value;
      const raw = value.trim();
      if (raw.startsWith('[')) {
        try {
          return JSON.parse(raw) as unknown;
        } catch {
          return value;
        }
      }
      return raw.split(',').map((part) => part.trim()).filter((part) => part !== '');
    },
    z.array(item, { error: `must be a list (JSON array or comma-separated): ${allowed}` }),
  );
}

function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess(blankToUndefined, schema.optional());
}

function withDefault<T extends z.ZodType>(schema: T, fallback: z.input<T>) {
  return z.preprocess((value) => blankToUndefined(trimmed(value)) ?? fallback, schema);
}

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
    const unit = rate[2]!;
    if (value < 1) return 'the rate value must be at least 1';
    if (value === 1 && unit.endsWith('s')) return `use the singular unit for a rate of 1, e.g. rate(1 ${unit.slice(0, -1)})`;
    if (value > 1 && !unit.endsWith('s')) return `use the plural unit for a rate above 1, e.g. rate(${value} ${unit}s)`;
    const hours = unit.startsWith('minute') ? value / 60 : unit.startsWith('hour') ? value : value * 24;
    return { kind: 'rate', intervalHours: hours };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) {
    const fields = cron[1]!.trim().split(/\s+/);
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
// The schema
// ---------------------------------------------------------------------------------------------

function amaniBaseUrl() {
  const allowed = 'an https:// base URL such as https://eu.amani.ai (http:// only for a loopback address)';
  return text(allowed)
    .transform((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be ${allowed}` });
        return z.NEVER;
      }
      const loopback = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(url.hostname);
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
        ctx.addIssue({ code: 'custom', message: `must be ${allowed}` });
        return z.NEVER;
      }
      if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
        ctx.addIssue({ code: 'custom', message: `must be ${allowed}, without credentials, path, query or fragment` });
        return z.NEVER;
      }
      return url.origin;
    });
}

const eventName = z.enum(AMANI_EVENTS, { error: `must name Amani events only: ${AMANI_EVENTS.join(', ')}` });
const fieldPath = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'each entry must be a dotted field path such as event or data.event_type');

export const contextSchema = z
  .object({
    // --- public contract ---
    stage: withDefault(
      text('letters, digits and hyphens, starting with a letter, at most 24 characters', /^[A-Za-z][A-Za-z0-9-]{0,23}$/),
      'dev',
    ),
    amaniBaseUrl: withDefault(amaniBaseUrl(), 'https://eu.amani.ai'),
    authMode: withDefault(z.enum(['signature', 'token'], { error: "must be 'signature' or 'token'" }), 'signature'),
    signatureHeader: withDefault(text('a valid HTTP header name', HEADER_NAME), 'Webhook-Signature'),
    tokenHeader: withDefault(text('a valid HTTP header name', HEADER_NAME), 'Webhook-Token'),
    events: z.preprocess(
      (value) => blankToUndefined(value) ?? [...AMANI_EVENTS],
      list(eventName, AMANI_EVENTS.join(', '))
        .pipe(z.array(eventName).min(1, `must enable at least one event: ${AMANI_EVENTS.join(', ')}`))
        .transform((names) => [...new Set(names)]),
    ),
    eventSource: withDefault(
      text('1 to 256 characters, not starting with "aws." (reserved for AWS services)', /^(?!aws\.)[^\s]{1,256}$/),
      'amani',
    ),
    rotationSchedule: withDefault(text('rate(<n> minutes|hours|days) or cron(<6 fields>)'), 'rate(30 days)'),
    previousTokenGraceMinutes: withDefault(integer('from 0 to 10080 (7 days)', 0, 10080), 60),
    secretCacheTtlSeconds: withDefault(
      integer('from 1 to 300 (seconds a warm receiver trusts its copy of the token secret: the revocation bound)', 1, 300),
      DEFAULT_SECRET_CACHE_TTL_SECONDS,
    ),

    // --- additions (docs/deployment.md) ---
    // Unset: true exactly for stage "prod" (derived in parseContext).
    production: optional(boolean()),
    credentialsSecret: optional(
      text(
        'the name or ARN of an existing Secrets Manager secret',
        new RegExp(`^(${PARTITION}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$`),
      ),
    ),
    credentialsSecretKmsKeyArn: optional(
      text('the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>)', new RegExp(`^${PARTITION}:kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]+$`)),
    ),
    throttlingRateLimit: withDefault(integer('from 1 to 10000 (requests per second)', 1, 10000), 50),
    throttlingBurstLimit: withDefault(integer('from 1 to 5000 (requests)', 1, 5000), 100),
    archiveRetentionDays: withDefault(integer('from 0 (keep forever) to 3650', 0, 3650), 30),
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
    tracing: withDefault(boolean(), false),
    logLevel: withDefault(
      z.preprocess(
        (value) => (typeof value === 'string' ? value.toUpperCase() : value),
        z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR'], { error: 'must be DEBUG, INFO, WARN or ERROR' }),
      ),
      'INFO',
    ),
    alarmTopicArn: optional(
      text('the ARN of an SNS topic (arn:aws:sns:<region>:<account>:<name>)', new RegExp(`^${PARTITION}:sns:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$`)),
    ),
    authFailureAlarmThreshold: withDefault(integer('from 1 to 100000 (failures per 5 minutes)', 1, 100000), 10),
    disableEventsOnDelete: withDefault(boolean(), true),
    rotationOverdueAfterHours: optional(integer('from 1 to 87840 (hours)', 1, 87840)),
    noTrafficAlarmHours: optional(
      integer(
        `from 1 to ${NO_TRAFFIC_ALARM_MAX_HOURS} (hours without an accepted delivery before the NoDeliveries alarm fires; CloudWatch evaluates an alarm over at most 7 days); leave it unset for no alarm`,
        1,
        NO_TRAFFIC_ALARM_MAX_HOURS,
      ),
    ),
    metricsNamespace: optional(
      text('1 to 255 characters of letters, digits and . _ / # : - (not starting with AWS/)', /^(?!AWS\/)[A-Za-z0-9._/#:-]{1,255}$/),
    ),
    eventNamePaths: optional(list(fieldPath, 'dotted field paths').pipe(z.array(z.string()).min(1, 'must name at least one field path'))),
    deliveryIdPaths: optional(list(fieldPath, 'dotted field paths')),
    webAclArn: optional(
      text('the ARN of a regional WAFv2 web ACL', new RegExp(`^${PARTITION}:wafv2:[a-z0-9-]+:\\d{12}:regional/webacl/.+$`)),
    ),
    apiGatewayCloudWatchRole: withDefault(boolean(), true),
  })
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
    const production = config.production ?? config.stage === PRODUCTION_STAGE;
    if (config.stage === PRODUCTION_STAGE && config.production === false) {
      ctx.addIssue({
        code: 'custom',
        path: ['production'],
        message: `stage "${PRODUCTION_STAGE}" is always a production stage (its data is retained); use another stage name for a disposable stack`,
      });
    }
    if (production && !config.alarmTopicArn) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarmTopicArn'],
        message:
          'is required for a production stage (stage=prod or production=true): production alarms must page someone. Pass -c alarmTopicArn=arn:aws:sns:<region>:<account>:<topic>',
      });
    }
    if (config.credentialsSecretKmsKeyArn && !config.credentialsSecret) {
      ctx.addIssue({
        code: 'custom',
        path: ['credentialsSecretKmsKeyArn'],
        message: 'is only meaningful together with credentialsSecret (a secret this stack creates uses the stack key)',
      });
    }
  });

export const CONTEXT_KEYS = Object.keys(contextSchema.shape) as (keyof typeof contextSchema.shape)[];

type ParsedContext = z.output<typeof contextSchema>;

export interface AppConfig extends Omit<ParsedContext, 'metricsNamespace' | 'rotationOverdueAfterHours' | 'events' | 'production'> {
  readonly events: AmaniEventName[];
  /** Retains the stack's data on delete, termination protection on, alarms must notify a topic. */
  readonly production: boolean;
  readonly metricsNamespace: string;
  /** Longest expected gap between rotations (exact for rate(), an upper bound for cron()). */
  readonly rotationIntervalHours: number;
  readonly rotationOverdueAfterHours: number;
}

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

/** Validates raw context values (key -> value as CDK returns it) into the app's configuration. */
export function parseContext(raw: Readonly<Record<string, unknown>>): AppConfig {
  const unknown = Object.keys(raw).filter((key) => raw[key] !== undefined && !(CONTEXT_KEYS as string[]).includes(key));
  if (unknown.length > 0) throw new Error(`parseContext got keys outside the schema: ${unknown.join(', ')}`);
  const result = contextSchema.safeParse(raw);
  if (!result.success) {
    throw new ContextConfigurationError(
      result.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? '(context)');
        const entry = typeof issue.path[1] === 'number' ? ` (entry ${issue.path[1] + 1})` : '';
        return `"${key}": ${issue.message}${entry} (got ${describeValue(raw[key])})`;
      }),
    );
  }
  const parsed = result.data;
  const schedule = parseRotationSchedule(parsed.rotationSchedule) as ParsedSchedule;
  return {
    ...parsed,
    events: parsed.events as AmaniEventName[],
    production: parsed.production ?? parsed.stage === PRODUCTION_STAGE,
    metricsNamespace: parsed.metricsNamespace ?? `AmaniWebhooks/${parsed.stage}`,
    rotationIntervalHours: schedule.intervalHours,
    rotationOverdueAfterHours: parsed.rotationOverdueAfterHours ?? Math.ceil(schedule.intervalHours + ROTATION_OVERDUE_SLACK_HOURS),
  };
}

/** Reads every known key from a construct's context (cdk.json + `-c`), then validates. */
export function configFromContext(tryGetContext: (key: string) => unknown): AppConfig {
  return parseContext(Object.fromEntries(CONTEXT_KEYS.map((key) => [key, tryGetContext(key)])));
}
