/**
 * The ports: what the use cases need from the outside world, as interfaces. The core and the use
 * cases depend on these only; `lambda/adapters` implements them with AWS SDK clients and HTTP,
 * and tests implement them in memory. A port method that fails throws, preferably a `SafeError`
 * (`./errors`): the use cases put only a SafeError's message into their own messages.
 *
 * The account-claim store's port lives with the claim logic (`./account-claim`) and is
 * re-exported here, so that this file lists every port.
 */
import type { BusEntry } from './delivery-event';
import type { LedgerRecord } from './delivery-ledger';
import type { TokenSecret } from './token-secret';

export type { AccountClaimReader, AccountClaimStore } from './account-claim';

// ---------------------------------------------------------------------------------------------
// The webhook token secret

/** Reads the webhook token secret. The receiver only reads; the rotator also writes. */
export interface TokenSecretReader {
  /** The secret; `{}` when it has no value yet (not bootstrapped). */
  read(): Promise<TokenSecret>;
}

export interface TokenSecretWriter {
  /**
   * Stores a new version. Every attempt of one logical write passes the same `idempotencyKey`,
   * so a retried write whose first attempt landed creates no second version.
   */
  write(secret: TokenSecret, idempotencyKey: string): Promise<void>;
}

/** The token secret as the receiver sees it: cached, with a rate-limited forced refresh. */
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

// ---------------------------------------------------------------------------------------------
// Handing a delivery on

/** Publishes one delivery's event within a time budget. Never throws: the result says what happened. */
export interface EventPublisher {
  publish(entry: BusEntry, budgetMs: number): Promise<PublishResult>;
}

export type PublishResult =
  | { readonly ok: true; readonly eventId: string; readonly attempts: number }
  /** `reason` is secret-free (error codes and how the retries ended). */
  | { readonly ok: false; readonly reason: string; readonly attempts: number };

/**
 * What the fallback queue holds: the exact entry that could not be published, so a redrive puts
 * the same event on the bus later, plus why it was parked.
 */
export interface ParkedDelivery {
  readonly version: 1;
  readonly deliveryId: string;
  readonly reason: string;
  readonly parkedAt: string;
  readonly entry: BusEntry;
}

/** The durable place of last resort for an authentic delivery the bus refused. */
export interface FallbackQueue {
  /** Resolves once the delivery is durably stored; rejects otherwise. */
  park(delivery: ParkedDelivery, budgetMs: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Deduplication and the delivery ledger (the protocol: ./delivery-ledger)

/** What a claim found: it holds the record now, or the live record another copy made. */
export type ClaimResult =
  | { readonly claimed: true }
  /** `existing` is undefined when the record went away before it could be read. */
  | { readonly claimed: false; readonly existing: LedgerRecord | undefined };

/** Where the event of a claimed delivery went. */
export interface Settlement {
  readonly outcome: 'published' | 'parked';
  readonly publishedAt: string;
  readonly eventId?: string;
}

/**
 * The store of delivery records (one per delivery id). Every method is bounded by `budgetMs` and
 * throws (a SafeError) when the store cannot answer.
 */
export interface DeliveryLedger {
  /**
   * Writes `record` (in progress) unless a live record exists: none, past its window
   * (`expiresAt`), or in progress past its lease (`claimExpiresAt`) count as absent. Atomic
   * against concurrent claims of the same delivery id. `nowMs` is the claimer's clock, the one
   * the record's times were computed with.
   */
  claim(record: LedgerRecord, nowMs: number, budgetMs: number): Promise<ClaimResult>;
  /** The record as it is now (strongly consistent), or undefined. */
  read(deliveryId: string, budgetMs: number): Promise<LedgerRecord | undefined>;
  /** Records the outcome of the claim `claimId`; throws when that claim no longer holds the record. */
  settle(deliveryId: string, claimId: string, settlement: Settlement, budgetMs: number): Promise<void>;
  /** Deletes the record if the claim `claimId` still holds it (the delivery was not made durable). */
  release(deliveryId: string, claimId: string, budgetMs: number): Promise<void>;
  /** Counts one more copy of a settled delivery. */
  countCopy(deliveryId: string, at: string, budgetMs: number): Promise<void>;
  /**
   * Records a delivery published without a claim (the store was unavailable), unless a live record
   * exists that another claim made. `record.claimId` names the claim this copy attempted (it may
   * have been written): a record of that claim is replaced. The stored record holds no claim.
   */
  recordUnchecked(record: LedgerRecord, nowMs: number, budgetMs: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Amani

/**
 * The Amani API credentials (public contract): a username/password to log in with, or a user
 * token used as the bearer token as it is.
 */
export type AmaniCredentials = { username: string; password: string } | { userToken: string };

export interface WebhookRegistration {
  url: string;
  signatureEnabled: boolean;
  /** One boolean per Amani event name; events left out are disabled by Amani on create. */
  events: Record<string, boolean>;
}

/** What PATCH /webhook/token did: `ambiguous` means it may or may not have rotated; ask GET. */
export type TokenRotationResult =
  | { readonly outcome: 'rotated'; readonly token: string }
  /** `cause` is secret-free: the endpoint and the status or failure kind. */
  | { readonly outcome: 'ambiguous'; readonly cause: string };

/** Amani's management API, as far as this product uses it. */
export interface AmaniApi {
  /** GET /api/v2/webhook/events */
  listEvents(): Promise<string[]>;
  /** PUT /api/v2/webhook; the parsed answer (it may carry anything: never log it). */
  registerWebhook(registration: WebhookRegistration): Promise<Record<string, unknown>>;
  /** GET /api/v2/webhook/token */
  getWebhookToken(): Promise<string>;
  /** PATCH /api/v2/webhook/token, never repeated blindly. A definitive refusal is thrown. */
  rotateWebhookToken(): Promise<TokenRotationResult>;
}

/** Amani's webhook token endpoints: all the rotation needs. */
export type AmaniTokenApi = Pick<AmaniApi, 'getWebhookToken' | 'rotateWebhookToken'>;

/** The Amani API credentials secret. */
export interface CredentialsSource {
  /** The credentials, or undefined while the secret holds none usable; throws when it cannot be read. */
  read(): Promise<AmaniCredentials | undefined>;
}

/** The rotator's sync run. */
export interface RotatorSync {
  /** Resolves the rotator's outcome (`bootstrapped`, `in-sync`, ...); throws a secret-free error. */
  sync(): Promise<string>;
}
