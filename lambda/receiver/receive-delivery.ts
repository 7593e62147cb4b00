import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import {
  buildBusEntry,
  busEntrySize,
  busEntrySizeAtMost,
  DEDUP_UNCHECKED_MARK_BYTES,
  deliveryIdOf,
  deliveryMetadata,
  eventNameOf,
  busEntryWithDetail,
  detailFromBytes,
  parseJsonObject,
  sha256Hex,
  type BusEntry,
  type DeliveryBody,
  type DeliveryMetadata,
} from '../core/delivery-event';
import { type ClaimDecision, claimDelivery, claimRecord, type DeliveryFacts, type LedgerRecord } from '../core/delivery-ledger';
import { safeMessage } from '../core/errors';
import type { DeliveryLedger, EventPublisher, FallbackQueue, PublishResult, Settlement, TokenProvider } from '../core/ports';
import { pythonJsonDumpsQuick, pythonJsonDumpsToBuffer } from '../core/python-json';
import { acceptedTokens, expiredPreviousToken, type TokenSecret } from '../core/token-secret';
import { asciiBytes, verifySignature, verifyToken, type AuthFailureReason, type AuthResult } from '../core/webhook-auth';
import type { WebhookRequest, WebhookResponse } from './api-gateway';
import type { ReceiverConfig } from './env';

/**
 * The receiver's use case: authenticate one delivery, validate it, and hand it on durably.
 *
 *   receiveDelivery = readBody -> authenticate -> decode -> identify -> claim -> publish | park -> record
 *
 * Delivery invariant: a 2xx answer means the event is on the bus or parked in the fallback
 * queue; anything else is a 4xx for the caller's mistake or a 5xx so that Amani retries.
 * Exactly-once: a delivery id is published at most once within the deduplication window; a
 * copy is answered like the first one (core/delivery-ledger.ts has the protocol). Deduplication
 * never costs a delivery: without the store, the event is published marked `dedup: unchecked`.
 */
export interface ReceiverDependencies {
  readonly config: ReceiverConfig;
  readonly tokens: TokenProvider;
  readonly bus: EventPublisher;
  readonly fallback: FallbackQueue;
  /** The deduplication store and ledger; without one every copy is published. */
  readonly ledger?: DeliveryLedger;
  /** A fresh claim token per delivery (default: a random UUID). */
  readonly newClaimId?: () => string;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now?: () => Date;
  /** Milliseconds left before the platform kills the invocation. */
  readonly remainingTimeMs?: () => number;
}

export type RejectionReason = AuthFailureReason | 'body-too-large' | 'invalid-encoding' | 'not-json-object' | 'event-too-large';

/** Kept back from the Lambda timeout so the answer (and its logs) still go out. */
const SAFETY_MARGIN_MS = 500;
const UNAUTHORIZED = 'Unauthorized';
/** A claim's lease when the invocation's remaining time is unknown (outside Lambda): the receiver's timeout. */
const DEFAULT_CLAIM_LEASE_MS = 15_000;
/** Between two reads of a concurrent copy's record while waiting for its outcome. */
const CLAIM_POLL_INTERVAL_MS = 100;

type Fields = Record<string, unknown>;

/** Why a step ended the delivery: refused (4xx, the caller's mistake) or failed (503, Amani retries). */
type Stop =
  | {
      readonly kind: 'rejected';
      readonly status: number;
      readonly reason: RejectionReason;
      readonly message: string;
      readonly fields?: Fields;
    }
  | { readonly kind: 'failed'; readonly reason: string; readonly fields?: Fields };

type StepResult<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly stop: Stop };

/** An authenticated delivery: which token and form matched, and the signed text when it was not the raw body. */
interface Authenticated {
  readonly auth: Extract<AuthResult, { ok: true }>;
  /** CPython's `json.dumps` form (ASCII bytes) when only that matched: exactly what the signature covered. */
  readonly signedCanonical: Buffer | undefined;
}

/** The authenticated body as the event will carry it: its value, its text, and the Detail made around it. */
interface Decoded {
  readonly value: DeliveryBody;
  /** The body's JSON text (a view into `detail`). */
  readonly bodyText: string;
  /** The entry's Detail, with `metadata` naming the delivery by the hash of what was signed. */
  readonly detail: string;
  readonly metadata: DeliveryMetadata;
  readonly bodySha256: string;
  readonly signedSha256: string;
  /** Bytes of what was signed (the raw body or its canonical form). */
  readonly signedBytes: number;
}

/** A delivery ready to hand on: its bus entry, and the fields every log line about it carries. */
interface Delivery {
  readonly deliveryId: string;
  readonly entry: BusEntry;
  readonly fields: Fields;
  /** What the ledger keeps of it. */
  readonly facts: DeliveryFacts;
  readonly metadata: DeliveryMetadata;
  readonly bodyJson: string;
}

/** How deduplication went for this copy: no store configured, claimed, or published without a check. */
type Dedup = { readonly kind: 'off' } | Extract<ClaimDecision, { kind: 'claimed' | 'unchecked' }>;

/** Answers one delivery: 2xx once it is on the bus or parked, 4xx for the caller's mistake, 503 so that Amani retries. */
export async function receiveDelivery(request: WebhookRequest, deps: ReceiverDependencies): Promise<WebhookResponse> {
  const answer = new Answers(deps);
  const body = readBody(request);
  if (!body.ok) return answer.stopped(body.stop);
  const authenticated = await authenticate(request, body.bytes, deps);
  if (!authenticated.ok) return answer.stopped(authenticated.stop);
  const decoded = decode(request, body.bytes, authenticated, deps);
  if (!decoded.ok) return answer.stopped(decoded.stop);
  const identified = identify(authenticated, decoded.body, deps);
  if (!identified.ok) return answer.stopped(identified.stop);
  const claimed = await claim(identified, deps);
  if (claimed.kind === 'duplicate') return answer.duplicate(identified, claimed.record, await countCopy(identified, deps));
  if (claimed.kind === 'in-progress')
    return answer.stopped(failed('copy-in-progress', { ...identified.fields, waitedMs: claimed.waitedMs }).stop);
  const delivery = claimed.kind === 'unchecked' ? markUnchecked(identified, deps) : identified;
  const published = await publish(delivery, deps);
  if (published.ok) return answer.published(delivery, published, claimed, await record(delivery, claimed, published, deps));
  const parked = await park(delivery, published, deps);
  if (parked.ok) return answer.parked(delivery, published, claimed, await record(delivery, claimed, published, deps));
  await release(delivery, claimed, deps);
  return answer.stopped(parked.stop);
}

/** 1. The body's bytes, refused before anything else when too large or not decodable. */
function readBody(request: WebhookRequest): StepResult<{ bytes: Buffer }> {
  switch (request.body.kind) {
    case 'bytes':
      return { ok: true, bytes: request.body.bytes };
    case 'too-large':
      return rejected(413, 'body-too-large', 'Payload too large', { bodyBytes: request.body.declaredBytes });
    case 'invalid-base64':
      return rejected(400, 'invalid-encoding', 'Body is not valid base64');
    case 'not-text':
      return rejected(400, 'invalid-encoding', 'Body is not text');
  }
}

/**
 * 2. The one credential header against the cached secret and, when a newer token might match,
 * against one read after the delivery arrived (shared and rate-limited, see RefreshingCache).
 * Only reading the secret is guarded: a fault in verification itself is a bug (500), never
 * reported as an unavailable secret.
 */
async function authenticate(request: WebhookRequest, body: Buffer, deps: ReceiverDependencies): Promise<StepResult<Authenticated>> {
  const { config, metrics } = deps;
  const header = config.authMode === 'signature' ? config.signatureHeader : config.tokenHeader;
  const presented = [...new Set(request.headerValues(header))];
  if (presented.length > 1) return unauthorized(metrics, 'ambiguous-credential');

  let canonical: { value: Buffer | undefined } | undefined;
  let quick: { value: ReturnType<typeof pythonJsonDumpsQuick> } | undefined;
  const verify = (secret: TokenSecret): AuthResult => {
    const at = (deps.now ?? (() => new Date()))();
    const tokens = acceptedTokens(secret, at);
    const expiredToken = expiredPreviousToken(secret, at);
    return config.authMode === 'signature'
      ? verifySignature({
          signature: presented[0],
          body,
          tokens,
          expiredToken,
          // Each computed at most once per delivery, and only when the raw body did not match: the
          // quick form first (floats as written: the exact form unless they are not as Python prints them).
          quickCanonicalForm: () => {
            quick ??= { value: pythonJsonDumpsQuick(body) };
            return quick.value;
          },
          canonicalForm: () => {
            canonical ??= { value: pythonJsonDumpsToBuffer(body) };
            return canonical.value;
          },
        })
      : verifyToken({ presented: presented[0], tokens, expiredToken });
  };

  const generation = deps.tokens.generation();
  const secret = await settle(deps.tokens.get());
  if (!secret.ok) return failed('token-secret-unavailable', { error: safeMessage(secret.error) });
  let auth = verify(secret.value);
  if (!auth.ok && mayBeFixedByNewerToken(auth.reason)) {
    const fresh = await settle(deps.tokens.refreshSince(generation));
    if (!fresh.ok) return failed('token-secret-unavailable', { error: safeMessage(fresh.error) });
    if (fresh.value !== secret.value) auth = verify(fresh.value);
  }
  if (!auth.ok) return auth.reason === 'no-token-configured' ? failed('token-secret-not-bootstrapped') : unauthorized(metrics, auth.reason);
  return {
    ok: true,
    auth,
    signedCanonical: auth.form === 'python-json' && auth.signed !== undefined ? asciiBytes(auth.signed) : undefined,
  };
}

/**
 * 3. The JSON object the event carries: exactly what was authenticated. When only the canonical
 * form matched, that is the canonical text, never the raw body: a re-sent genuine delivery with a
 * smuggled duplicate key or extra float digits verifies through the same canonical form, and
 * consumers (which may keep the first of two duplicate keys) would otherwise read the attacker's
 * bytes. The canonical text is ASCII JSON without duplicate keys, numbers as Python wrote them.
 */
function decode(
  request: WebhookRequest,
  body: Buffer,
  { auth, signedCanonical }: Authenticated,
  { config, now = () => new Date() }: ReceiverDependencies,
): StepResult<{ body: Decoded }> {
  // Both native and vectorised, where a fatal TextDecoder took about 5 ns per byte of non-ASCII text.
  if (signedCanonical === undefined && !isUtf8(body)) return rejected(400, 'invalid-encoding', 'Body is not valid UTF-8');
  const signed = signedCanonical ?? body;
  const bodySha256 = sha256Hex(body);
  const signedSha256 = signedCanonical !== undefined ? sha256Hex(signedCanonical) : bodySha256;
  // Named by that hash until the body says otherwise (identify): usually the Detail is made once.
  const metadata: DeliveryMetadata = deliveryMetadata({
    deliveryId: signedSha256,
    receivedAt: now().toISOString(),
    authMode: config.authMode,
    ...(auth.form ? { signatureForm: auth.form } : {}),
    tokenGeneration: auth.generation,
    bodySha256,
    ...(request.requestId ? { requestId: request.requestId } : {}),
  });
  const { detail, bodyText } = detailFromBytes(metadata, signed);
  // The body on its own must be one JSON object: its text is parsed alone, never the Detail around it.
  const value = parseJsonObject(bodyText);
  if (value === undefined) return rejected(400, 'not-json-object', 'Body must be a JSON object');
  return { ok: true, body: { value, bodyText, detail, metadata, bodySha256, signedSha256, signedBytes: signed.length } };
}

/**
 * 4. The delivery's id, event name and bus entry, refused when the entry would exceed the bus's
 * limit. Without an id of its own, a delivery is named by the bytes its signature covers:
 * Amani's retries keep their id, and so does a re-serialised copy of a genuine delivery (it
 * verifies through the same canonical form), which consumers' deduplication would otherwise miss.
 */
function identify({ auth }: Authenticated, decoded: Decoded, { config, metrics }: ReceiverDependencies): StepResult<Delivery> {
  const deliveryId = deliveryIdOf(decoded.value, config.deliveryIdPaths, decoded.signedSha256);
  const eventName = eventNameOf(decoded.value, config.eventNamePaths);
  const route = { source: config.eventSource, eventBusName: config.eventBusName, detailType: eventName };
  const named = deliveryId === decoded.metadata.deliveryId;
  const metadata: DeliveryMetadata = named ? decoded.metadata : { ...decoded.metadata, deliveryId };
  const entry = named
    ? busEntryWithDetail({ ...route, detail: decoded.detail })
    : buildBusEntry({ ...route, metadata, bodyJson: decoded.bodyText });
  const fields = { deliveryId, eventName, signatureForm: auth.form, tokenGeneration: auth.generation };
  if (auth.generation === 'previous') metrics.addMetric('PreviousTokenUsed', MetricUnit.Count, 1);

  // Room for the `dedup: unchecked` mark: whether a delivery fits must not depend on the store's health.
  const mark = config.dedupTableName ? DEDUP_UNCHECKED_MARK_BYTES : 0;
  const entryBytesAtMost = busEntrySizeAtMost(entry, decoded.bodyText, decoded.signedBytes) + mark;
  const entryBytes = entryBytesAtMost > config.maxEventBytes ? busEntrySize(entry) + mark : entryBytesAtMost;
  if (entryBytes > config.maxEventBytes)
    return rejected(413, 'event-too-large', 'Payload too large for an event', { ...fields, entryBytes });
  const facts: DeliveryFacts = {
    deliveryId,
    eventName,
    receivedAt: metadata.receivedAt,
    authMode: config.authMode,
    ...(auth.form ? { signatureForm: auth.form } : {}),
    tokenGeneration: auth.generation,
    bodySha256: decoded.bodySha256,
  };
  return { ok: true, deliveryId, entry, fields, facts, metadata, bodyJson: decoded.bodyText };
}

/**
 * 5. Claim the delivery id in the ledger, or learn what a copy of it already did, waiting for a
 * copy still in progress within the publish budget (the time left must still cover this copy's
 * own publish and fallback, should the other copy give up).
 */
async function claim(delivery: Delivery, deps: ReceiverDependencies): Promise<Dedup | Exclude<ClaimDecision, Dedup>> {
  const { config, ledger, metrics, now = () => new Date() } = deps;
  if (!ledger) return { kind: 'off' };
  const remaining = deps.remainingTimeMs?.() ?? Number.POSITIVE_INFINITY;
  const reserved = config.publishBudgetMs + config.fallbackBudgetMs + 2 * config.dedupBudgetMs + SAFETY_MARGIN_MS;
  const decision = await claimDelivery(ledger, {
    facts: delivery.facts,
    claimId: (deps.newClaimId ?? randomUUID)(),
    windowHours: config.dedupWindowHours,
    leaseMs: Number.isFinite(remaining) ? remaining : DEFAULT_CLAIM_LEASE_MS,
    callBudgetMs: config.dedupBudgetMs,
    waitBudgetMs: Math.max(0, Math.min(config.publishBudgetMs, remaining - reserved)),
    pollIntervalMs: CLAIM_POLL_INTERVAL_MS,
    now: () => now().getTime(),
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  });
  if (decision.kind === 'unchecked') metrics.addMetric('DedupUnchecked', MetricUnit.Count, 1);
  return decision;
}

/** The same delivery, its event marked as published without a deduplication check. */
function markUnchecked(delivery: Delivery, { config }: ReceiverDependencies): Delivery {
  const metadata: DeliveryMetadata = { ...delivery.metadata, dedup: 'unchecked' };
  const entry = buildBusEntry({
    source: config.eventSource,
    eventBusName: config.eventBusName,
    detailType: delivery.entry.DetailType,
    metadata,
    bodyJson: delivery.bodyJson,
  });
  return { ...delivery, metadata, entry };
}

/** 6. PutEvents within the publish budget, leaving time for the fallback and the answer. */
async function publish(delivery: Delivery, { config, metrics, bus, remainingTimeMs }: ReceiverDependencies): Promise<PublishResult> {
  const remaining = remainingTimeMs?.() ?? Number.POSITIVE_INFINITY;
  const budget = Math.min(config.publishBudgetMs, remaining - config.fallbackBudgetMs - SAFETY_MARGIN_MS);
  const published = await bus.publish(delivery.entry, Math.max(0, budget));
  if (published.attempts > 1) metrics.addMetric('PublishRetries', MetricUnit.Count, published.attempts - 1);
  return published;
}

/** 7. The bus refused: park the exact entry in the fallback queue, or fail so that Amani retries. */
async function park(
  delivery: Delivery,
  published: Extract<PublishResult, { ok: false }>,
  { config, metrics, fallback, remainingTimeMs, now = () => new Date() }: ReceiverDependencies,
): Promise<StepResult<object>> {
  metrics.addMetric('PublishFailed', MetricUnit.Count, 1);
  const budget = Math.min(config.fallbackBudgetMs, (remainingTimeMs?.() ?? Number.POSITIVE_INFINITY) - SAFETY_MARGIN_MS);
  const parked = {
    version: 1,
    deliveryId: delivery.deliveryId,
    reason: published.reason,
    parkedAt: now().toISOString(),
    entry: delivery.entry,
  } as const;
  const stored = await settle(fallback.park(parked, Math.max(0, budget)));
  if (stored.ok) return { ok: true };
  return failed('bus-and-fallback-failed', { ...delivery.fields, publishError: published.reason, error: safeMessage(stored.error) });
}

/** What became of the ledger record: written, or not (the delivery stands either way). */
type Recorded = { readonly ledger: 'recorded' | 'off' } | { readonly ledger: 'not-recorded'; readonly ledgerError: string };

/**
 * 8. Record where the event went: settle the claim (a later copy is then answered at once), or,
 * for an unchecked delivery, write its record if the store answers now. Best effort: the event
 * is durable already; a record left in progress only makes a copy wait, then 503, until its lease ends.
 */
async function record(
  delivery: Delivery,
  dedup: Dedup,
  published: PublishResult,
  { ledger, config, metrics, now = () => new Date() }: ReceiverDependencies,
): Promise<Recorded> {
  if (!ledger || dedup.kind === 'off') return { ledger: 'off' };
  const at = now();
  const settlement: Settlement = {
    outcome: published.ok ? 'published' : 'parked',
    publishedAt: at.toISOString(),
    ...(published.ok ? { eventId: published.eventId } : {}),
  };
  try {
    if (dedup.kind === 'claimed') {
      await ledger.settle(delivery.deliveryId, dedup.claimId, settlement, config.dedupBudgetMs);
    } else {
      // The claim this copy attempted may have been written (its answer lost): the record replaces it.
      const claim = { claimId: dedup.claimId, nowMs: at.getTime(), leaseMs: 0, windowHours: config.dedupWindowHours };
      const unchecked: LedgerRecord = { ...claimRecord(delivery.facts, claim), ...settlement, dedup: 'unchecked' };
      await ledger.recordUnchecked(unchecked, at.getTime(), config.dedupBudgetMs);
    }
    return { ledger: 'recorded' };
  } catch (error) {
    metrics.addMetric('LedgerWriteFailed', MetricUnit.Count, 1);
    return { ledger: 'not-recorded', ledgerError: safeMessage(error) };
  }
}

/** The delivery could not be made durable: give its record up, so that Amani's retry can publish it. */
async function release(delivery: Delivery, dedup: Dedup, { ledger, config }: ReceiverDependencies): Promise<void> {
  if (!ledger || dedup.kind !== 'claimed') return;
  // Best effort: a record left behind blocks Amani's retry only until its lease ends.
  await ledger.release(delivery.deliveryId, dedup.claimId, config.dedupBudgetMs).catch(() => undefined);
}

/** A suppressed copy is counted in the ledger (best effort: the answer does not depend on it). */
async function countCopy(delivery: Delivery, { ledger, config, now = () => new Date() }: ReceiverDependencies): Promise<Recorded> {
  if (!ledger) return { ledger: 'off' };
  try {
    await ledger.countCopy(delivery.deliveryId, now().toISOString(), config.dedupBudgetMs);
    return { ledger: 'recorded' };
  } catch (error) {
    return { ledger: 'not-recorded', ledgerError: safeMessage(error) };
  }
}

/** The answer to Amani for each way a delivery ends, with its metrics and its one log line. */
class Answers {
  private readonly startedAt = Date.now();

  constructor(private readonly deps: Pick<ReceiverDependencies, 'logger' | 'metrics'>) {}

  stopped(stop: Stop): WebhookResponse {
    const { logger, metrics } = this.deps;
    if (stop.kind === 'rejected') {
      metrics.singleMetric().addDimension('Reason', stop.reason).addMetric('DeliveryRejected', MetricUnit.Count, 1);
      logger.warn('delivery rejected', {
        outcome: 'rejected',
        reason: stop.reason,
        status: stop.status,
        latencyMs: this.latency(),
        ...stop.fields,
      });
      return { statusCode: stop.status, body: { message: stop.message } };
    }
    metrics.addMetric('DeliveryFailed', MetricUnit.Count, 1);
    logger.error('delivery not accepted, Amani will retry', {
      outcome: 'failed',
      reason: stop.reason,
      status: 503,
      latencyMs: this.latency(),
      ...stop.fields,
    });
    return { statusCode: 503, body: { message: 'Temporarily unavailable, please retry' } };
  }

  published(delivery: Delivery, published: Extract<PublishResult, { ok: true }>, dedup: Dedup, recorded: Recorded): WebhookResponse {
    const { logger, metrics } = this.deps;
    metrics.addMetric('DeliveryAccepted', MetricUnit.Count, 1);
    metrics.addMetric('DeliveryLatency', MetricUnit.Milliseconds, this.latency());
    logger.info('delivery accepted', {
      ...delivery.fields,
      outcome: 'published',
      status: 200,
      publishAttempts: published.attempts,
      ...dedupFields(dedup, recorded),
      latencyMs: this.latency(),
    });
    return { statusCode: 200, body: { deliveryId: delivery.deliveryId } };
  }

  parked(delivery: Delivery, published: Extract<PublishResult, { ok: false }>, dedup: Dedup, recorded: Recorded): WebhookResponse {
    const { logger, metrics } = this.deps;
    metrics.addMetric('FallbackUsed', MetricUnit.Count, 1);
    metrics.addMetric('DeliveryAccepted', MetricUnit.Count, 1);
    logger.warn('delivery parked in the fallback queue', {
      ...delivery.fields,
      outcome: 'parked',
      status: 202,
      publishError: published.reason,
      publishAttempts: published.attempts,
      ...dedupFields(dedup, recorded),
      latencyMs: this.latency(),
    });
    return { statusCode: 202, body: { deliveryId: delivery.deliveryId } };
  }

  /** A copy of a delivery already published (200) or parked (202): the same answer, nothing published. */
  duplicate(delivery: Delivery, first: LedgerRecord, counted: Recorded): WebhookResponse {
    const { logger, metrics } = this.deps;
    const status = first.outcome === 'parked' ? 202 : 200;
    metrics.addMetric('DuplicateSuppressed', MetricUnit.Count, 1);
    logger.info('duplicate delivery suppressed', {
      ...delivery.fields,
      outcome: 'duplicate',
      status,
      firstOutcome: first.outcome,
      firstReceivedAt: first.receivedAt,
      // A different body under the same id: a re-serialised copy, or a body id reused by the sender.
      sameBody: first.bodySha256 === delivery.facts.bodySha256,
      ...counted,
      latencyMs: this.latency(),
    });
    return { statusCode: status, body: { deliveryId: delivery.deliveryId, duplicate: true } };
  }

  private latency(): number {
    return Date.now() - this.startedAt;
  }
}

/** The log fields saying how deduplication went for a delivery that was handed on. */
function dedupFields(dedup: Dedup, recorded: Recorded): Fields {
  if (dedup.kind === 'off') return { dedup: 'off' };
  return dedup.kind === 'unchecked'
    ? { dedup: 'unchecked', dedupError: safeMessage(dedup.error), ...recorded }
    : { dedup: 'checked', ...recorded };
}

function rejected(status: number, reason: RejectionReason, message: string, fields?: Fields): { ok: false; stop: Stop } {
  return { ok: false, stop: { kind: 'rejected', status, reason, message, ...(fields ? { fields } : {}) } };
}

function failed(reason: string, fields?: Fields): { ok: false; stop: Stop } {
  return { ok: false, stop: { kind: 'failed', reason, ...(fields ? { fields } : {}) } };
}

/** Every 401 is also counted once without a dimension, for the authentication-failure alarm. */
function unauthorized(metrics: Metrics, reason: AuthFailureReason): { ok: false; stop: Stop } {
  metrics.addMetric('AuthenticationFailed', MetricUnit.Count, 1);
  return rejected(401, reason, UNAUTHORIZED);
}

async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A rotation may have happened since the cached secret was read. */
function mayBeFixedByNewerToken(reason: AuthFailureReason): boolean {
  return reason === 'bad-credential' || reason === 'expired-token' || reason === 'no-token-configured';
}
