/**
 * Exactly-once ingest and the delivery ledger: one record per delivery id is both the
 * deduplication claim and the operator's ledger row. Pure: the store is a port
 * (`DeliveryLedger`, ./ports), clock and sleep are injected.
 *
 * The protocol, per delivery:
 *   claim   create the record "in progress" unless a live one exists (one conditional write);
 *           a record is live while its window lasts (`expiresAt`), and an in-progress one only
 *           while its claim lease lasts (`claimExpiresAt`: the claiming invocation's remaining
 *           time), so a crashed invocation blocks its delivery for at most one receiver timeout.
 *   settled copy (published/parked): a duplicate; answered like the first copy, counted.
 *   in-progress copy: wait (bounded) for the first copy's outcome, then answer like it; if the
 *           first copy gave up (released) or its lease ended, claim again; else 503 (Amani
 *           retries). A 2xx is never given before the first copy's event is durable.
 *   publish or park, then settle the record with the outcome and the EventBridge event id; a
 *           delivery that could not be made durable releases its record, so Amani's retry can
 *           publish it.
 *   store unavailable: publish anyway, marked `dedup: "unchecked"`: deduplication never costs
 *           a delivery.
 *
 * Why not Powertools idempotency (@aws-lambda-powertools/idempotency, DynamoDB persistence),
 * whose conditional put with ALL_OLD and in-progress expiry this borrows:
 * - its record is keyed by a hash of the selected payload and holds the result as an opaque JSON
 *   string, so the ledger (listed by time, event and outcome, a copies counter) would need a second
 *   item and a third write per delivery;
 * - an in-progress duplicate fails at once (IdempotencyAlreadyInProgressError), where a copy must
 *   wait for the first one's outcome to answer the same 2xx, and take over when it was released;
 * - a store failure fails the call (IdempotencyPersistenceLayerError), before the function runs and
 *   after it ran, where a delivery must be published anyway and a published one answered 2xx.
 * Working around each of these would leave little of the library but its conditional put.
 */
import type { AuthMode, SignatureForm } from './webhook-auth';
import type { TokenGeneration } from './token-secret';
import type { DeliveryLedger } from './ports';

/** The table's shape, shared by the adapter, the stack and the local mode. */
export const LEDGER_SCHEMA = {
  partitionKey: 'deliveryId',
  /** Lists a day's deliveries newest first: partition `day` (UTC date), sort `receivedAt`. */
  timeIndex: 'byDay',
  timeIndexPartitionKey: 'day',
  timeIndexSortKey: 'receivedAt',
  /** DynamoDB TTL attribute (epoch seconds); the protocol never waits for TTL's lazy deletion. */
  ttlAttribute: 'expiresAt',
} as const;

/** The default window: longer than any plausible retry horizon of a vendor (Amani documents none). */
export const DEFAULT_DEDUP_WINDOW_HOURS = 168;

/** `in-progress` while the first copy publishes; then where its event went. */
export type LedgerOutcome = 'in-progress' | 'published' | 'parked';

/** What `deliveries --outcome` filters on: the record's outcome, or a property of it. */
export const LEDGER_FILTERS = ['published', 'parked', 'in-progress', 'duplicate', 'dedup-unchecked'] as const;
export type LedgerFilter = (typeof LEDGER_FILTERS)[number];

/**
 * One delivery in the ledger: only what is safe to keep and show (ids, names, times, hashes,
 * counts); never the body or anything from it but the event name and the delivery id.
 */
export interface LedgerRecord {
  readonly deliveryId: string;
  readonly eventName: string;
  /** When the first copy was received (ISO-8601, the event's `metadata.receivedAt`). */
  readonly receivedAt: string;
  readonly outcome: LedgerOutcome;
  /** When the event went on the bus or into the fallback queue. */
  readonly publishedAt?: string;
  /** EventBridge's event id (outcome `published`). */
  readonly eventId?: string;
  readonly authMode: AuthMode;
  readonly signatureForm?: SignatureForm;
  readonly tokenGeneration: TokenGeneration;
  /** SHA-256 (hex) of the first copy's raw body. */
  readonly bodySha256: string;
  /** Copies received, the first included. */
  readonly copies: number;
  readonly lastCopyAt?: string;
  /** `unchecked`: published while the store was unavailable (recorded afterwards). */
  readonly dedup: 'checked' | 'unchecked';
  /** End of the deduplication window (epoch seconds; the TTL attribute). */
  readonly expiresAt: number;
  /** The claiming invocation's token; only while in progress. */
  readonly claimId?: string;
  /** End of the claim lease (epoch milliseconds); only while in progress. */
  readonly claimExpiresAt?: number;
}

/** What the receiver knows of a delivery when it claims it. */
export interface DeliveryFacts {
  readonly deliveryId: string;
  readonly eventName: string;
  readonly receivedAt: string;
  readonly authMode: AuthMode;
  readonly signatureForm?: SignatureForm;
  readonly tokenGeneration: TokenGeneration;
  readonly bodySha256: string;
}

/** The UTC day of an ISO-8601 time: the time index's partition. */
export function ledgerDay(iso: string): string {
  return iso.slice(0, 10);
}

/** The UTC days from `until` back to `since`, newest first (the partitions a time query reads). */
export function ledgerDaysBetween(since: Date, until: Date): string[] {
  const days: string[] = [];
  const first = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
  for (let day = Date.UTC(until.getUTCFullYear(), until.getUTCMonth(), until.getUTCDate()); day >= first; day -= 86_400_000) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}

/** The in-progress record a claim writes. */
export function claimRecord(
  facts: DeliveryFacts,
  claim: { readonly claimId: string; readonly nowMs: number; readonly leaseMs: number; readonly windowHours: number },
): LedgerRecord {
  return {
    ...facts,
    outcome: 'in-progress',
    copies: 1,
    dedup: 'checked',
    expiresAt: Math.ceil(claim.nowMs / 1000) + claim.windowHours * 3600,
    claimId: claim.claimId,
    claimExpiresAt: claim.nowMs + claim.leaseMs,
  };
}

/**
 * What an existing record means for a new copy (the store's claim condition decides the same,
 * atomically: a `claimable` record is overwritten by the claim).
 */
export function judgeExisting(record: LedgerRecord, nowMs: number): 'duplicate' | 'in-progress' | 'claimable' {
  if (record.expiresAt * 1000 < nowMs) return 'claimable';
  if (record.outcome !== 'in-progress') return 'duplicate';
  return (record.claimExpiresAt ?? 0) < nowMs ? 'claimable' : 'in-progress';
}

/** Whether a record matches a `deliveries --outcome` filter. */
export function matchesFilter(record: LedgerRecord, filter: LedgerFilter): boolean {
  switch (filter) {
    case 'duplicate':
      return record.copies > 1;
    case 'dedup-unchecked':
      return record.dedup === 'unchecked';
    default:
      return record.outcome === filter;
  }
}

/** How the claim step ended. */
export type ClaimDecision =
  /** This copy holds the record: publish, then settle or release it. */
  | { readonly kind: 'claimed'; readonly claimId: string }
  /** A copy was already published or parked inside the window: answer like it. */
  | { readonly kind: 'duplicate'; readonly record: LedgerRecord }
  /** Another copy is still publishing after the wait: 503, Amani retries. */
  | { readonly kind: 'in-progress'; readonly waitedMs: number }
  /**
   * The store could not answer the claim: publish without deduplication. `claimId` may have been
   * written all the same (an answer lost after the write): the unchecked record may replace it.
   */
  | { readonly kind: 'unchecked'; readonly error: unknown; readonly claimId: string };

export interface ClaimOptions {
  readonly facts: DeliveryFacts;
  readonly claimId: string;
  readonly windowHours: number;
  /** How long the claim stays valid if this invocation dies (its remaining time). */
  readonly leaseMs: number;
  /** Per store call. */
  readonly callBudgetMs: number;
  /** How long to wait for a concurrent copy's outcome. */
  readonly waitBudgetMs: number;
  /** Between two reads of a concurrent copy's record. */
  readonly pollIntervalMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * The claim step: claim the delivery, or find out what a copy already did, waiting (bounded) for a
 * copy that is still in progress. Never throws: a store failure on the claim is `unchecked`
 * (publish anyway), one while waiting for another copy is `in-progress` (that copy may be
 * publishing: a 503 is safe, a second publish is not needed).
 */
export async function claimDelivery(ledger: DeliveryLedger, options: ClaimOptions): Promise<ClaimDecision> {
  const started = options.now();
  const deadline = started + options.waitBudgetMs;
  // Bounded by count as well as by the clock, so a clock that stands still cannot spin forever.
  let pollsLeft = Math.ceil(options.waitBudgetMs / Math.max(1, options.pollIntervalMs));
  for (;;) {
    const nowMs = options.now();
    const record = claimRecord(options.facts, {
      claimId: options.claimId,
      nowMs,
      leaseMs: options.leaseMs,
      windowHours: options.windowHours,
    });
    let claimed: Awaited<ReturnType<DeliveryLedger['claim']>>;
    try {
      claimed = await ledger.claim(record, nowMs, options.callBudgetMs);
    } catch (error) {
      return { kind: 'unchecked', error, claimId: options.claimId };
    }
    // Our own claim: an attempt whose answer was lost had written it, and the retry found it.
    if (claimed.claimed || claimed.existing?.claimId === options.claimId) return { kind: 'claimed', claimId: options.claimId };
    // The existing record as the claim found it; `undefined`: it went away before it could be read.
    let existing = claimed.existing;
    while (existing !== undefined && judgeExisting(existing, options.now()) === 'in-progress') {
      if (pollsLeft-- <= 0 || options.now() + options.pollIntervalMs > deadline)
        return { kind: 'in-progress', waitedMs: options.now() - started };
      await options.sleep(options.pollIntervalMs);
      try {
        existing = await ledger.read(options.facts.deliveryId, options.callBudgetMs);
      } catch {
        return { kind: 'in-progress', waitedMs: options.now() - started };
      }
    }
    if (existing !== undefined && judgeExisting(existing, options.now()) === 'duplicate') return { kind: 'duplicate', record: existing };
    // Released, expired or its lease ended: claim it (the store decides atomically against other copies).
    if (pollsLeft-- <= 0 || options.now() >= deadline) return { kind: 'in-progress', waitedMs: options.now() - started };
  }
}
