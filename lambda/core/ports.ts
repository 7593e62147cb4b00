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
