import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import {
  buildBusEntry,
  busEntrySize,
  busEntrySizeAtMost,
  deliveryIdOf,
  eventNameOf,
  parseDeliveryBody,
  sha256Hex,
  type DeliveryMetadata,
} from '../core/delivery-event';
import { pythonJsonDumpsBytes } from '../core/python-json';
import { acceptedTokens, expiredPreviousToken, type TokenSecret } from '../core/token-secret';
import { verifySignature, verifyToken, type AuthFailureReason, type AuthResult } from '../core/webhook-auth';
import type { EventPublisher } from '../adapters/event-bus';
import type { FallbackQueue } from '../adapters/fallback-queue';
import type { WebhookRequest, WebhookResponse } from './api-gateway';
import type { ReceiverConfig } from './config';

/**
 * The receiver's use case: authenticate one delivery, validate it, and hand it on durably.
 *
 * Delivery invariant: a 2xx answer means the event is on the bus or parked in the fallback
 * queue; anything else is a 4xx for the caller's mistake or a 5xx so that Amani retries.
 */
export interface TokenProvider {
  /** Sequence number of the newest secret load; taken before `get()`. */
  generation(): number;
  get(): Promise<TokenSecret>;
  /**
   * The secret from a load started after `generation` (rate-limited: may wait for the next
   * allowed load); rejects when the secret cannot be read.
   */
  refreshSince(generation: number): Promise<TokenSecret>;
}

export interface ReceiverDependencies {
  readonly config: ReceiverConfig;
  readonly tokens: TokenProvider;
  readonly bus: EventPublisher;
  readonly fallback: FallbackQueue;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now?: () => Date;
  /** Milliseconds left before the platform kills the invocation. */
  readonly remainingTimeMs?: () => number;
}

export type RejectionReason =
  | AuthFailureReason
  | 'body-too-large'
  | 'invalid-encoding'
  | 'not-json-object'
  | 'event-too-large';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** Kept back from the Lambda timeout so the answer (and its logs) still go out. */
const SAFETY_MARGIN_MS = 500;

const answers = {
  unauthorized: { statusCode: 401, body: { message: 'Unauthorized' } },
  unavailable: { statusCode: 503, body: { message: 'Temporarily unavailable, please retry' } },
} as const;

export async function receiveDelivery(request: WebhookRequest, deps: ReceiverDependencies): Promise<WebhookResponse> {
  const startedAt = Date.now();
  const now = deps.now ?? (() => new Date());
  const { config, logger, metrics } = deps;

  const reject = (statusCode: number, reason: RejectionReason, message: string, fields: Record<string, unknown> = {}) => {
    metrics.singleMetric().addDimension('Reason', reason).addMetric('DeliveryRejected', MetricUnit.Count, 1);
    logger.warn('delivery rejected', { outcome: 'rejected', reason, status: statusCode, latencyMs: Date.now() - startedAt, ...fields });
    return { statusCode, body: { message } };
  };
  const fail = (reason: string, fields: Record<string, unknown> = {}) => {
    metrics.addMetric('DeliveryFailed', MetricUnit.Count, 1);
    logger.error('delivery not accepted, Amani will retry', { outcome: 'failed', reason, status: 503, latencyMs: Date.now() - startedAt, ...fields });
    return answers.unavailable;
  };

  if (request.body.kind === 'too-large') return reject(413, 'body-too-large', 'Payload too large', { bodyBytes: request.body.declaredBytes });
  if (request.body.kind === 'invalid-base64') return reject(400, 'invalid-encoding', 'Body is not valid base64');
  if (request.body.kind === 'not-text') return reject(400, 'invalid-encoding', 'Body is not text');
  const body = request.body.bytes;

  const credentialHeader = config.authMode === 'signature' ? config.signatureHeader : config.tokenHeader;
  const presented = [...new Set(request.headerValues(credentialHeader))];
  if (presented.length > 1) {
    metrics.addMetric('AuthenticationFailed', MetricUnit.Count, 1);
    return reject(401, 'ambiguous-credential', answers.unauthorized.body.message);
  }

  let canonical: { value: string | undefined } | undefined;
  const authenticate = (secret: TokenSecret): AuthResult => {
    const at = now();
    const tokens = acceptedTokens(secret, at);
    const expiredToken = expiredPreviousToken(secret, at);
    return config.authMode === 'signature'
      ? verifySignature({
          signature: presented[0],
          body,
          tokens,
          expiredToken,
          // Computed at most once per delivery, and only when the raw body did not match.
          canonicalForm: () => (canonical ??= { value: pythonJsonDumpsBytes(body) }).value,
        })
      : verifyToken({ presented: presented[0], tokens, expiredToken });
  };

  // Only reading the secret is guarded here: a fault in verification itself is a bug (500),
  // never reported as an unavailable secret.
  const generation = deps.tokens.generation();
  const secret = await settle(deps.tokens.get());
  if (!secret.ok) return fail('token-secret-unavailable', { error: errorName(secret.error) });
  let auth: AuthResult = authenticate(secret.value);
  if (!auth.ok && mayBeFixedByNewerToken(auth.reason)) {
    // A rotation may have happened since this secret was read: check against one read after the
    // delivery arrived (shared and rate-limited, see RefreshingCache).
    const fresh = await settle(deps.tokens.refreshSince(generation));
    if (!fresh.ok) return fail('token-secret-unavailable', { error: errorName(fresh.error) });
    if (fresh.value !== secret.value) auth = authenticate(fresh.value);
  }
  if (!auth.ok) {
    if (auth.reason === 'no-token-configured') return fail('token-secret-not-bootstrapped');
    // One dimensionless count of every 401, for the authentication-failure alarm.
    metrics.addMetric('AuthenticationFailed', MetricUnit.Count, 1);
    return reject(401, auth.reason, answers.unauthorized.body.message);
  }

  // What the event carries is exactly what was authenticated. When only the canonical form
  // matched, that is the canonical text, never the raw body: a re-sent genuine delivery with a
  // smuggled duplicate key or extra float digits verifies through the same canonical form, and
  // consumers (which may keep the first of two duplicate keys) would otherwise read the attacker's
  // bytes. The canonical text is ASCII JSON without duplicate keys, numbers as Python wrote them.
  const signedCanonical = auth.form === 'python-json' ? canonical?.value : undefined;
  let text: string;
  if (signedCanonical !== undefined) {
    text = signedCanonical;
  } else {
    try {
      text = UTF8.decode(body);
    } catch {
      return reject(400, 'invalid-encoding', 'Body is not valid UTF-8');
    }
  }
  const parsed = parseDeliveryBody(text);
  if (!parsed.ok) return reject(400, 'not-json-object', 'Body must be a JSON object');

  const bodySha256 = sha256Hex(body);
  // Without an id of its own, a delivery is named by the bytes its signature covers: Amani's
  // retries keep their id, and so does a re-serialised copy of a genuine delivery (it verifies
  // through the same canonical form), which consumers' deduplication would otherwise miss.
  const signedSha256 = signedCanonical !== undefined ? sha256Hex(Buffer.from(signedCanonical, 'latin1')) : bodySha256;
  const deliveryId = deliveryIdOf(parsed.body, config.deliveryIdPaths, signedSha256);
  const eventName = eventNameOf(parsed.body, config.eventNamePaths);
  const metadata: DeliveryMetadata = {
    deliveryId,
    receivedAt: now().toISOString(),
    authMode: config.authMode,
    ...(auth.form ? { signatureForm: auth.form } : {}),
    tokenGeneration: auth.generation,
    bodySha256,
    ...(request.requestId ? { requestId: request.requestId } : {}),
  };
  const entry = buildBusEntry({
    source: config.eventSource,
    eventBusName: config.eventBusName,
    detailType: eventName,
    metadata,
    bodyJson: parsed.json,
  });
  const deliveryFields = { deliveryId, eventName, signatureForm: auth.form, tokenGeneration: auth.generation };
  if (auth.generation === 'previous') metrics.addMetric('PreviousTokenUsed', MetricUnit.Count, 1);

  const signedBytes = signedCanonical !== undefined ? signedCanonical.length : body.length;
  const entryBytesAtMost = busEntrySizeAtMost(entry, parsed.json, signedBytes);
  const entryBytes = entryBytesAtMost > config.maxEventBytes ? busEntrySize(entry) : entryBytesAtMost;
  if (entryBytes > config.maxEventBytes) {
    return reject(413, 'event-too-large', 'Payload too large for an event', { ...deliveryFields, entryBytes });
  }

  const remaining = deps.remainingTimeMs?.() ?? Number.POSITIVE_INFINITY;
  const publishBudget = Math.min(config.publishBudgetMs, remaining - config.fallbackBudgetMs - SAFETY_MARGIN_MS);
  const published = await deps.bus.publish(entry, Math.max(0, publishBudget));
  if (published.attempts > 1) metrics.addMetric('PublishRetries', MetricUnit.Count, published.attempts - 1);
  if (published.ok) {
    metrics.addMetric('DeliveryAccepted', MetricUnit.Count, 1);
    metrics.addMetric('DeliveryLatency', MetricUnit.Milliseconds, Date.now() - startedAt);
    logger.info('delivery accepted', {
      ...deliveryFields,
      outcome: 'published',
      status: 200,
      publishAttempts: published.attempts,
      latencyMs: Date.now() - startedAt,
    });
    return { statusCode: 200, body: { deliveryId } };
  }

  metrics.addMetric('PublishFailed', MetricUnit.Count, 1);
  const fallbackBudget = Math.min(config.fallbackBudgetMs, (deps.remainingTimeMs?.() ?? Number.POSITIVE_INFINITY) - SAFETY_MARGIN_MS);
  try {
    await deps.fallback.park(
      { version: 1, deliveryId, reason: published.reason, parkedAt: now().toISOString(), entry },
      Math.max(0, fallbackBudget),
    );
  } catch (error) {
    return fail('bus-and-fallback-failed', { ...deliveryFields, publishError: published.reason, error: errorName(error) });
  }
  metrics.addMetric('FallbackUsed', MetricUnit.Count, 1);
  metrics.addMetric('DeliveryAccepted', MetricUnit.Count, 1);
  logger.warn('delivery parked in the fallback queue', {
    ...deliveryFields,
    outcome: 'parked',
    status: 202,
    publishError: published.reason,
    publishAttempts: published.attempts,
    latencyMs: Date.now() - startedAt,
  });
  return { statusCode: 202, body: { deliveryId } };
}

async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

function mayBeFixedByNewerToken(reason: AuthFailureReason): boolean {
  return reason === 'bad-credential' || reason === 'expired-token' || reason === 'no-token-configured';
}

/** Error class and message of our own adapters; they are written to be secret-free. */
function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}
