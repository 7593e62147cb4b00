import { z } from 'zod';
import { env, parseEnvironment } from '../core/env-config';

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

/**
 * The receiver's configuration: environment variables set by the CDK stack (or by `npm start`),
 * validated once at cold start. Documented in README.md, "Configuration".
 */
const receiverEnvironment = z.object({
  TOKEN_SECRET_ID: env.required('ARN or name of the webhook token secret'),
  EVENT_BUS_NAME: env.required('name or ARN of the EventBridge bus'),
  FALLBACK_QUEUE_URL: z.url({ error: 'must be the URL of the fallback SQS queue' }),
  AUTH_MODE: env.authMode(),
  SIGNATURE_HEADER: env.headerName('Webhook-Signature'),
  TOKEN_HEADER: env.headerName('Webhook-Token'),
  EVENT_SOURCE: z.string().trim().min(1).max(256).default('amani'),
  EVENT_NAME_PATHS: env.list(['event', 'event_type', 'type', 'event_name']),
  // `id` is deliberately not a default: Amani payloads carry the profile's id, which would merge
  // distinct deliveries about the same profile into one id.
  DELIVERY_ID_PATHS: env.list(['delivery_id', 'event_id']),
  MAX_BODY_BYTES: env.integer(1024 * 1024, 1024, 10 * 1024 * 1024),
  MAX_EVENT_BYTES: env.integer(1024 * 1024, 1024, 1024 * 1024),
  SECRET_CACHE_TTL_SECONDS: env.integer(DEFAULT_SECRET_CACHE_TTL_SECONDS, 0, 3600),
  SECRET_REFRESH_MIN_INTERVAL_MS: env.integer(DEFAULT_SECRET_REFRESH_MIN_INTERVAL_MS, 50, 10_000),
  PUBLISH_BUDGET_MS: env.integer(3000, 100, 20000),
  FALLBACK_BUDGET_MS: env.integer(2000, 100, 10000),
});

export type ReceiverEnvironment = z.output<typeof receiverEnvironment>;

export interface ReceiverConfig {
  readonly tokenSecretId: string;
  readonly eventBusName: string;
  readonly fallbackQueueUrl: string;
  readonly authMode: 'signature' | 'token';
  readonly signatureHeader: string;
  readonly tokenHeader: string;
  readonly eventSource: string;
  readonly eventNamePaths: readonly string[];
  readonly deliveryIdPaths: readonly string[];
  readonly maxBodyBytes: number;
  readonly maxEventBytes: number;
  readonly secretCacheTtlMs: number;
  readonly secretRefreshMinIntervalMs: number;
  readonly publishBudgetMs: number;
  readonly fallbackBudgetMs: number;
}

export function loadReceiverConfig(source: Record<string, string | undefined> = process.env): ReceiverConfig {
  const e = parseEnvironment('receiver', receiverEnvironment, source);
  return {
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
  };
}
