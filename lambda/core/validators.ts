/**
 * Validators shared by the deployment configuration (infra/config.ts, CDK context) and the
 * functions' environment declarations (lambda/<function>/env.ts): one rule per kind of value, so
 * whatever `cdk synth` accepts the function accepts at cold start.
 *
 * Values arrive as JSON types from cdk.json and as strings from `-c key=value` or the process
 * environment, so numbers, booleans and lists accept both spellings. A blank value counts as unset.
 *
 * Built with `zod/mini` (the same validation core as `zod`, as functions instead of methods): the
 * receiver loads only these at cold start, and classic zod's import took a fifth of it
 * (docs/benchmarks.md, "Cold start"). Classic schemas compose with these (infra/config.ts).
 */
import * as z from 'zod/mini';
import { AMANI_EVENTS } from './amani-events';

// ---------------------------------------------------------------------------------------------
// Unset values and defaults
// ---------------------------------------------------------------------------------------------

function blankToUndefined(value: unknown): unknown {
  return value === null || (typeof value === 'string' && value.trim() === '') ? undefined : value;
}

/** Blank or absent is `undefined`; anything else must pass `schema`. */
export function optional<T extends z.ZodMiniType>(schema: T) {
  return preprocess(blankToUndefined, z.optional(schema));
}

/** Blank or absent is `fallback`; anything else must pass `schema`. */
export function withDefault<T extends z.ZodMiniType>(schema: T, fallback: z.input<T>) {
  return preprocess((value) => blankToUndefined(typeof value === 'string' ? value.trim() : value) ?? fallback, schema);
}

/** `fn` applied before `schema` (classic zod's `z.preprocess`, which zod/mini spells as a pipe). */
export function preprocess<T extends z.ZodMiniType>(fn: (value: unknown) => unknown, schema: T) {
  return z.pipe(z.transform(fn), schema);
}

// ---------------------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------------------

/** A non-blank string (trimmed); `what` says what it names. */
export function required(what: string) {
  const message = `is required (${what})`;
  return z.string({ error: message }).check(z.trim(), z.minLength(1, message));
}

/** A string matching `pattern`; the message is the "what is allowed" half of the error. */
export function matching(allowed: string, pattern: RegExp) {
  return z.string({ error: `must be a string: ${allowed}` }).check(z.regex(pattern, allowed));
}

/** A whole number within [min, max]; numeric strings are read as numbers. */
export function wholeNumber(min: number, max: number, allowed = `from ${min} to ${max}`) {
  const message = `must be a whole number ${allowed}`;
  return preprocess(
    (value) => (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value.trim()) : value),
    z.int({ error: message }).check(z.gte(min, message), z.lte(max, message)),
  );
}

/** `true` / `false`, as booleans or strings. */
export function booleanFlag() {
  return preprocess(
    (value) => (value === 'true' ? true : value === 'false' ? false : value),
    z.boolean({ error: 'must be true or false' }),
  );
}

/**
 * A list: an array (cdk.json), a JSON array in a string, or a comma-separated string (`-c`, the
 * process environment). Items are trimmed and empty items dropped, so an empty string is [].
 */
export function list<T extends z.ZodMiniType>(item: T, allowed: string) {
  return preprocess(
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
      return raw
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
    },
    z.array(item, { error: `must be a list (JSON array or comma-separated): ${allowed}` }),
  );
}

/** The form `toEnvironment` writes a list in (read back by `list`). */
export function listToEnvironment(items: readonly string[]): string {
  return items.join(',');
}

// ---------------------------------------------------------------------------------------------
// The product's kinds of values
// ---------------------------------------------------------------------------------------------

/** Amani's EU region: the contract's default `amaniBaseUrl`. */
export const DEFAULT_AMANI_BASE_URL = 'https://eu.amani.ai';

/** The only hosts an `http://` Amani base URL may name: where the local Amani simulator listens. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

const AMANI_BASE_URL_ALLOWED = `an https:// base URL such as ${DEFAULT_AMANI_BASE_URL} (http:// only for 127.0.0.1, [::1] or localhost)`;

/**
 * Why a string is not an acceptable Amani base URL, or undefined when it is. The rule: https, or
 * http to 127.0.0.1, [::1] or localhost only (the local simulator); a bare origin, because the
 * Amani client appends `/api/v2/...` to it (a path would be doubled: `.../api/api/v2/...`); no
 * credentials, query or fragment.
 */
export function amaniBaseUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be ${AMANI_BASE_URL_ALLOWED}`;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    return `must be ${AMANI_BASE_URL_ALLOWED}`;
  }
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/' || value.includes('?') || value.includes('#')) {
    return `must be ${AMANI_BASE_URL_ALLOWED}, without credentials, path, query or fragment (the client adds /api/v2/...)`;
  }
  return undefined;
}

/** An Amani base URL (see `amaniBaseUrlProblem`), normalised to its origin (`https://eu.amani.ai`). */
export function amaniBaseUrl() {
  return z.pipe(
    z.string({ error: `must be ${AMANI_BASE_URL_ALLOWED}` }).check(z.trim()),
    z.transform((value: string, ctx) => {
      const problem = amaniBaseUrlProblem(value);
      if (problem) {
        ctx.issues.push({ code: 'custom', message: problem, input: value });
        return z.NEVER;
      }
      return new URL(value).origin;
    }),
  );
}

/** An HTTP header name (RFC 9110 token). */
export function headerName() {
  return matching('a valid HTTP header name', /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/);
}

/** How deliveries authenticate: an HMAC of the body, or the token itself in a header. */
export const AUTH_MODES = ['signature', 'token'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** `signature` or `token`. */
export function authMode() {
  return z.enum(AUTH_MODES, { error: "must be 'signature' or 'token'" });
}

/** The EventBridge `source` of published events. */
export function eventSource() {
  return matching('1 to 256 characters without spaces, not starting with "aws." (reserved for AWS services)', /^(?!aws\.)[^\s]{1,256}$/);
}

/** A list of Amani event names (at least one). */
export function amaniEventNames() {
  const allowed = AMANI_EVENTS.join(', ');
  const eventName = z.enum(AMANI_EVENTS, { error: `must name Amani events only: ${allowed}` });
  const atLeastOne = z.pipe(
    list(eventName, allowed),
    z.array(eventName).check(z.minLength(1, `must enable at least one event: ${allowed}`)),
  );
  return z.pipe(
    atLeastOne,
    z.transform((names: z.output<typeof atLeastOne>) => [...new Set(names)]),
  );
}

/** A list of dotted field paths into a delivery (`event`, `data.event_type`). */
export function fieldPaths(options: { readonly atLeastOne: boolean }) {
  const path = z
    .string()
    .check(z.regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'each entry must be a dotted field path such as event or data.event_type'));
  const paths = list(path, 'dotted field paths');
  return options.atLeastOne ? z.pipe(paths, z.array(z.string()).check(z.minLength(1, 'must name at least one field path'))) : paths;
}

/** The log levels Powertools' Logger knows. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A Powertools log level, in any case. */
export function logLevel() {
  return preprocess(
    (value) => (typeof value === 'string' ? value.trim().toUpperCase() : value),
    z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
  );
}

/** A CloudWatch metrics namespace the product may publish to. */
export function metricsNamespace() {
  return matching('1 to 255 characters of letters, digits and . _ / # : - (not starting with AWS/)', /^(?!AWS\/)[A-Za-z0-9._/#:-]{1,255}$/);
}

// ---------------------------------------------------------------------------------------------
// What every function declares for Powertools
// ---------------------------------------------------------------------------------------------

/** Namespace of the functions' metrics when the environment names none (the stack always does). */
export const DEFAULT_METRICS_NAMESPACE = 'AmaniWebhooks';

/** A function's logger and metrics settings, as its environment declaration yields them. */
export interface ObservabilityConfig {
  /** Powertools `service`: a log key and the metrics' `service` dimension. */
  readonly serviceName: string;
  readonly metricsNamespace: string;
  /** Unset: Powertools' own default (INFO, or POWERTOOLS_LOG_LEVEL of the process). */
  readonly logLevel?: LogLevel;
}

/** The Powertools variables of a function's environment, with its service name as the default. */
export function observabilityVariables(serviceName: string) {
  return {
    POWERTOOLS_SERVICE_NAME: withDefault(
      matching('1 to 128 characters of letters, digits and . _ -', /^[A-Za-z0-9._-]{1,128}$/),
      serviceName,
    ),
    POWERTOOLS_METRICS_NAMESPACE: withDefault(metricsNamespace(), DEFAULT_METRICS_NAMESPACE),
    POWERTOOLS_LOG_LEVEL: optional(logLevel()),
  };
}

interface ObservabilityVariables {
  readonly POWERTOOLS_SERVICE_NAME: string;
  readonly POWERTOOLS_METRICS_NAMESPACE: string;
  readonly POWERTOOLS_LOG_LEVEL?: LogLevel | undefined;
}

/** The observability part of a function's configuration, from its parsed Powertools variables. */
export function toObservabilityConfig(variables: ObservabilityVariables): ObservabilityConfig {
  return {
    serviceName: variables.POWERTOOLS_SERVICE_NAME,
    metricsNamespace: variables.POWERTOOLS_METRICS_NAMESPACE,
    ...(variables.POWERTOOLS_LOG_LEVEL ? { logLevel: variables.POWERTOOLS_LOG_LEVEL } : {}),
  };
}

/** The inverse of `toObservabilityConfig`: only what is set is written. */
export function observabilityEnvironment(config: Partial<ObservabilityConfig> | undefined): Record<string, string> {
  return definedOnly({
    POWERTOOLS_SERVICE_NAME: config?.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: config?.metricsNamespace,
    POWERTOOLS_LOG_LEVEL: config?.logLevel,
  });
}

/**
 * What a function's deployer decides (the argument of its `to...Environment`): the configuration's
 * `Required` fields, and any of the others; what is left out takes its default.
 */
export type EnvironmentSettings<Config extends { readonly observability: ObservabilityConfig }, Required extends keyof Config> = Pick<
  Config,
  Required
> &
  Partial<Omit<Config, Required | 'observability'>> & { readonly observability?: Partial<ObservabilityConfig> };

/** An environment map without the variables whose value is undefined (they take their default). */
export function definedOnly(variables: Record<string, string | number | boolean | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(variables).flatMap(([name, value]) => (value === undefined ? [] : [[name, String(value)]])));
}

/** `ms` as a whole number of `unitMs` units; a fraction is a programming error, not a rounding. */
export function wholeUnits(ms: number, unitMs: number, what: string): number {
  const units = ms / unitMs;
  if (!Number.isInteger(units))
    throw new Error(`${what} must be a whole number of ${unitMs === 1000 ? 'seconds' : 'minutes'} (got ${ms} ms)`);
  return units;
}
