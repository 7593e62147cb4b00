/**
 * The receiver's environment: the one declaration of its variables, their defaults and rules.
 * The stack builds the function's environment with `toReceiverEnvironment` (so does the local
 * mode), the function parses it with `loadReceiverConfig` at cold start. Documented in README.md,
 * "Configuration".
 */
import * as z from 'zod/mini';
import { DEFAULT_DEDUP_WINDOW_HOURS } from '../core/delivery-ledger';
import { parseEnvironment } from '../core/env-config';
import {
  authMode,
  definedOnly,
  type EnvironmentSettings,
  eventSource,
  fieldPaths,
  headerName,
  listToEnvironment,
  observabilityEnvironment,
  observabilityVariables,
  matching,
  optional,
  preprocess,
  required,
  toObservabilityConfig,
  wholeNumber,
  wholeUnits,
  withDefault,
} from '../core/validators';

/**
 * How long a warm container trusts its copy of the token secret. It is the revocation bound: a
 * token replaced or removed in the secret is refused by every warm container within this time
 * (the stack refuses a previous-token grace shorter than it, see infra/config.ts).
 */
export const DEFAULT_SECRET_CACHE_TTL_SECONDS = 60;

/**
 * After a failed verification the secret is re-read at most once per this interval; a failure
 * inside it waits for the next read. It is therefore also the longest a forged delivery holds
 * its invocation (see docs/reliability.md, "Forged floods").
 */
export const DEFAULT_SECRET_REFRESH_MIN_INTERVAL_MS = 250;

/** The longest deduplication window the stack and the receiver accept: a year. */
export const MAX_DEDUP_WINDOW_HOURS = 8760;

/** Defaults of the optional variables (the stack's context defaults are these too). */
export const RECEIVER_DEFAULTS = {
  authMode: 'signature',
  signatureHeader: 'Webhook-Signature',
  tokenHeader: 'Webhook-Token',
  eventSource: 'amani',
  eventNamePaths: ['event', 'event_type', 'type', 'event_name'],
  // `id` is deliberately not a default: Amani payloads carry the profile's id, which would merge
  // distinct deliveries about the same profile into one id.
  deliveryIdPaths: ['delivery_id', 'event_id'],
  maxBodyBytes: 1024 * 1024,
  maxEventBytes: 1024 * 1024,
  secretCacheTtlSeconds: DEFAULT_SECRET_CACHE_TTL_SECONDS,
  secretRefreshMinIntervalMs: DEFAULT_SECRET_REFRESH_MIN_INTERVAL_MS,
  publishBudgetMs: 3000,
  fallbackBudgetMs: 2000,
  dedupWindowHours: DEFAULT_DEDUP_WINDOW_HOURS,
  dedupBudgetMs: 1000,
  serviceName: 'amani-webhooks-receiver',
} as const;

const D = RECEIVER_DEFAULTS;

/** The variables, by name. */
export const receiverVariables = z.object({
  TOKEN_SECRET_ID: required('ARN or name of the webhook token secret'),
  EVENT_BUS_NAME: required('name or ARN of the EventBridge bus'),
  FALLBACK_QUEUE_URL: z.url({ error: 'must be the URL of the fallback SQS queue' }),
  AUTH_MODE: withDefault(authMode(), D.authMode),
  SIGNATURE_HEADER: withDefault(headerName(), D.signatureHeader),
  TOKEN_HEADER: withDefault(headerName(), D.tokenHeader),
  EVENT_SOURCE: withDefault(eventSource(), D.eventSource),
  EVENT_NAME_PATHS: withDefault(fieldPaths({ atLeastOne: true }), [...D.eventNamePaths]),
  // An empty list is allowed: no delivery id, deduplication falls back to the body's hash.
  DELIVERY_ID_PATHS: preprocess((value) => value ?? [...D.deliveryIdPaths], fieldPaths({ atLeastOne: false })),
  MAX_BODY_BYTES: withDefault(wholeNumber(1024, 10 * 1024 * 1024), D.maxBodyBytes),
  MAX_EVENT_BYTES: withDefault(wholeNumber(1024, 1024 * 1024), D.maxEventBytes),
  SECRET_CACHE_TTL_SECONDS: withDefault(wholeNumber(0, 3600), D.secretCacheTtlSeconds),
  SECRET_REFRESH_MIN_INTERVAL_MS: withDefault(wholeNumber(50, 10_000), D.secretRefreshMinIntervalMs),
  PUBLISH_BUDGET_MS: withDefault(wholeNumber(100, 20_000), D.publishBudgetMs),
  FALLBACK_BUDGET_MS: withDefault(wholeNumber(100, 10_000), D.fallbackBudgetMs),
  // Unset: no deduplication and no ledger (each copy is published; consumers deduplicate).
  DEDUP_TABLE_NAME: optional(matching('a DynamoDB table name (3 to 255 of letters, digits, _ . -)', /^[A-Za-z0-9_.-]{3,255}$/)),
  DEDUP_WINDOW_HOURS: withDefault(
    wholeNumber(1, MAX_DEDUP_WINDOW_HOURS, `from 1 to ${MAX_DEDUP_WINDOW_HOURS} (hours)`),
    D.dedupWindowHours,
  ),
  DEDUP_BUDGET_MS: withDefault(wholeNumber(100, 5000), D.dedupBudgetMs),
  ...observabilityVariables(D.serviceName),
});

/** The environment schema: parses the variables and yields the receiver's configuration. */
export const receiverEnvironment = z.pipe(
  receiverVariables,
  z.transform((e: z.output<typeof receiverVariables>) => ({
    tokenSecretId: e.TOKEN_SECRET_ID,
    eventBusName: e.EVENT_BUS_NAME,
    fallbackQueueUrl: e.FALLBACK_QUEUE_URL,
    authMode: e.AUTH_MODE,
    signatureHeader: e.SIGNATURE_HEADER,
    tokenHeader: e.TOKEN_HEADER,
    eventSource: e.EVENT_SOURCE,
    eventNamePaths: e.EVENT_NAME_PATHS,
    deliveryIdPaths: e.DELIVERY_ID_PATHS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxEventBytes: e.MAX_EVENT_BYTES,
    secretCacheTtlMs: e.SECRET_CACHE_TTL_SECONDS * 1000,
    secretRefreshMinIntervalMs: e.SECRET_REFRESH_MIN_INTERVAL_MS,
    publishBudgetMs: e.PUBLISH_BUDGET_MS,
    fallbackBudgetMs: e.FALLBACK_BUDGET_MS,
    ...(e.DEDUP_TABLE_NAME ? { dedupTableName: e.DEDUP_TABLE_NAME } : {}),
    dedupWindowHours: e.DEDUP_WINDOW_HOURS,
    dedupBudgetMs: e.DEDUP_BUDGET_MS,
    observability: toObservabilityConfig(e),
  })),
);

/** The receiver's configuration, as its loader yields it. */
export type ReceiverConfig = z.output<typeof receiverEnvironment>;

/** What the stack (or the local mode) decides; everything left out takes its default. */
export type ReceiverSettings = EnvironmentSettings<ReceiverConfig, 'tokenSecretId' | 'eventBusName' | 'fallbackQueueUrl'>;

/** The environment map that `loadReceiverConfig` reads back as `settings` (plus defaults). */
export function toReceiverEnvironment(settings: ReceiverSettings): Record<string, string> {
  return definedOnly({
    TOKEN_SECRET_ID: settings.tokenSecretId,
    EVENT_BUS_NAME: settings.eventBusName,
    FALLBACK_QUEUE_URL: settings.fallbackQueueUrl,
    AUTH_MODE: settings.authMode,
    SIGNATURE_HEADER: settings.signatureHeader,
    TOKEN_HEADER: settings.tokenHeader,
    EVENT_SOURCE: settings.eventSource,
    EVENT_NAME_PATHS: settings.eventNamePaths && listToEnvironment(settings.eventNamePaths),
    DELIVERY_ID_PATHS: settings.deliveryIdPaths && listToEnvironment(settings.deliveryIdPaths),
    MAX_BODY_BYTES: settings.maxBodyBytes,
    MAX_EVENT_BYTES: settings.maxEventBytes,
    SECRET_CACHE_TTL_SECONDS:
      settings.secretCacheTtlMs === undefined ? undefined : wholeUnits(settings.secretCacheTtlMs, 1000, 'secretCacheTtlMs'),
    SECRET_REFRESH_MIN_INTERVAL_MS: settings.secretRefreshMinIntervalMs,
    PUBLISH_BUDGET_MS: settings.publishBudgetMs,
    FALLBACK_BUDGET_MS: settings.fallbackBudgetMs,
    DEDUP_TABLE_NAME: settings.dedupTableName,
    DEDUP_WINDOW_HOURS: settings.dedupWindowHours,
    DEDUP_BUDGET_MS: settings.dedupBudgetMs,
    ...observabilityEnvironment(settings.observability),
  });
}

/** Validates the receiver's environment (the process's by default); a bad one names every offending variable. */
export function loadReceiverConfig(source: Record<string, string | undefined> = process.env): ReceiverConfig {
  return parseEnvironment('receiver', receiverEnvironment, source);
}
