/**
 * Rotation of the Amani webhook token: pure logic over two ports (the token secret, and Amani's
 * token endpoints). No AWS or HTTP here; the adapters and the rotator Lambda wire it up.
 *
 * INVARIANT
 *   After any sequence of runs in which the last one succeeded, the secret's `token` equals
 *   Amani's current token. After a failed run, one successful run restores that. A token is
 *   never written to a log, an error, a metric or an event.
 *
 * How each run keeps it:
 * 1. Read the secret. Without a `token` (fresh deploy): bootstrap by storing Amani's current
 *    token (GET), and stop; nothing is rotated.
 * 2. Reconcile first: when Amani's token differs from the stored one (a run that crashed
 *    between PATCH and store, an out-of-band rotation), store Amani's as `token` and the stored
 *    one as `previousToken` with the grace window. A token that is neither of the two stored
 *    ones was changed elsewhere (another stage on the same Amani account, Amani's dashboard, or
 *    this stack's own run that died between PATCH and store): the summary says so
 *    (`changedElsewhere`) and the secret keeps the time (`tokenChangedElsewhereAt`). The `sync`
 *    action stops here.
 * 3. A rotation that is not forced is skipped while the last one is younger than the minimum
 *    age, so duplicate scheduler invocations (and the retry of a run that reconciled) do not
 *    rotate twice.
 * 4. PATCH, then store the new token at once, retrying with backoff under ONE idempotency key
 *    (Secrets Manager ClientRequestToken), so a retried write whose first attempt did land
 *    creates no second version. An ambiguous PATCH (timeout, 5xx, connection reset, unreadable
 *    answer) is never repeated: GET tells whether Amani rotated (changed: that is the new token;
 *    unchanged: the run fails and nothing was lost).
 * 5. Confirm: GET again and re-read the secret; both must hold the token just stored (this
 *    catches a concurrent run or writer). Any failure throws a `RotationError` whose message is
 *    free of secrets; if Amani may be ahead of the secret, the next run's step 2 repairs it.
 */
import type { TokenSecretReader, TokenSecretWriter } from '../adapters/token-secret-store';
import { retryWithinBudget, type BackoffPolicy, type RetryEnvironment } from './retry';
import { TokenSecretFormatError, type TokenSecret } from './token-secret';

export type RotationAction = 'rotate' | 'sync';

export interface RotationRequest {
  readonly action: RotationAction;
  /** Rotate even when the last rotation is younger than the minimum age. */
  readonly force: boolean;
  /** Emergency: keep no previous token (a leaked token stops working at once). Implies force. */
  readonly revokePrevious: boolean;
}

/** What PATCH /webhook/token did: `ambiguous` means it may or may not have rotated. */
export type TokenRotationResult =
  | { readonly outcome: 'rotated'; readonly token: string }
  | { readonly outcome: 'ambiguous'; readonly cause: string };

/** Port: Amani's webhook token endpoints. A definitive refusal of PATCH is thrown. */
export interface AmaniTokenApi {
  getWebhookToken(): Promise<string>;
  rotateWebhookToken(): Promise<TokenRotationResult>;
}

export interface RotationPorts {
  readonly secret: TokenSecretReader & TokenSecretWriter;
  readonly amani: AmaniTokenApi;
}

export interface StoreRetryPolicy extends BackoffPolicy {
  /** Time allowed for one logical read or write of the secret, attempts and waits included. */
  readonly budgetMs: number;
  readonly maxAttempts: number;
}

export interface RotationSettings {
  readonly previousTokenGraceMs: number;
  readonly minRotationAgeMs: number;
  readonly store: StoreRetryPolicy;
  /**
   * PATCH only when at least this much invocation time is left, so that the new token can still
   * be stored. Ignored without `remainingTimeMs`.
   */
  readonly minRemainingBeforeRotateMs?: number;
}

export interface RotationObserver {
  storeRetry?(operation: 'read' | 'write', attempt: number, reason: string, delayMs: number): void;
  /** The PATCH outcome was unknown; GET said whether Amani rotated. */
  ambiguousRotation?(cause: string, amaniRotated: boolean): void;
}

export interface RotationEnvironment {
  readonly now: () => Date;
  /** A fresh idempotency key per logical write (crypto.randomUUID in production). */
  readonly newIdempotencyKey: () => string;
  readonly retry: RetryEnvironment;
  /** Time left in the invocation; bounds the store budget and guards the PATCH. */
  readonly remainingTimeMs?: () => number;
  /** Whether a failed read or write of the secret may succeed when repeated. Default: all but a malformed secret. */
  readonly isRetryableStoreError?: (error: unknown) => boolean;
  readonly observer?: RotationObserver;
}

export type RotationOutcome = 'bootstrapped' | 'reconciled' | 'in-sync' | 'skipped' | 'rotated';

/** Secret-free: what a run did and the resulting timestamps. */
export interface RotationSummary {
  readonly action: RotationAction;
  readonly outcome: RotationOutcome;
  /** Whether this run repaired a secret that disagreed with Amani. */
  readonly reconciled: boolean;
  /** Set when the token found at Amani was neither stored token: someone else changed it. */
  readonly changedElsewhere?: true;
  readonly rotatedAt?: string;
  readonly previousTokenValidUntil?: string;
}

export type RotationStep =
  /** Before the core runs: the Lambda could not read the Amani API credentials. */
  | 'read-credentials'
  /** Before the core runs: another stack holds the Amani account's claim; no rotation. */
  | 'check-claim'
  | 'read-secret'
  | 'get-token'
  | 'store-bootstrap'
  | 'store-reconciled'
  | 'check-time'
  | 'rotate-token'
  | 'resolve-ambiguous'
  | 'store-rotated'
  | 'confirm'
  /** A bug outside the steps above; Amani may be ahead of the secret. */
  | 'unexpected';

export class RotationError extends Error {
  constructor(
    readonly step: RotationStep,
    reason: string,
    /** Amani may hold a token the secret does not: deliveries fail until the next successful run. */
    readonly amaniMayBeAhead: boolean,
  ) {
    super(`Token rotation failed at ${step}: ${reason}`);
    this.name = 'RotationError';
  }
}

/** Kept back from the invocation's end so that a failure can still be logged. */
const STORE_SAFETY_MARGIN_MS = 1000;

export async function runRotation(
  request: RotationRequest,
  ports: RotationPorts,
  settings: RotationSettings,
  env: RotationEnvironment,
): Promise<RotationSummary> {
  const known = new Set<string>();
  const remember = (...tokens: (string | undefined)[]) => tokens.forEach((token) => token && known.add(token));
  const describe = (error: unknown) => redact(error instanceof Error ? error.message : String(error), known);
  const fail = (step: RotationStep, reason: string, amaniMayBeAhead = false) => new RotationError(step, redact(reason, known), amaniMayBeAhead);
  const isRetryable = env.isRetryableStoreError ?? ((error: unknown) => !(error instanceof TokenSecretFormatError));
  const storeBudget = () => {
    const left = env.remainingTimeMs ? env.remainingTimeMs() - STORE_SAFETY_MARGIN_MS : Number.POSITIVE_INFINITY;
    return Math.max(0, Math.min(settings.store.budgetMs, left));
  };

  const readSecret = async (step: RotationStep): Promise<TokenSecret> => {
    const result = await retryWithinBudget<TokenSecret>(
      {
        ...settings.store,
        budgetMs: storeBudget(),
        attempt: async () => {
          try {
            return { done: true, value: await ports.secret.read() };
          } catch (error) {
            return { done: false, retryable: isRetryable(error), error };
          }
        },
        onRetry: (attempt, error, delayMs) => env.observer?.storeRetry?.('read', attempt, describe(error), delayMs),
      },
      env.retry,
    );
    if (!result.ok) throw fail(step, `reading the token secret failed after ${result.attempts} attempt(s): ${describe(result.error)}`);
    remember(result.value.token, result.value.previousToken);
    return result.value;
  };

  const writeSecret = async (step: RotationStep, secret: TokenSecret, amaniAheadOnFailure: boolean): Promise<void> => {
    // One key for every attempt of this logical write: a retry after a lost answer is a no-op.
    const idempotencyKey = env.newIdempotencyKey();
    const result = await retryWithinBudget<void>(
      {
        ...settings.store,
        budgetMs: storeBudget(),
        attempt: async () => {
          try {
            await ports.secret.write(secret, idempotencyKey);
            return { done: true, value: undefined };
          } catch (error) {
            return { done: false, retryable: isRetryable(error), error };
          }
        },
        onRetry: (attempt, error, delayMs) => env.observer?.storeRetry?.('write', attempt, describe(error), delayMs),
      },
      env.retry,
    );
    if (!result.ok) {
      const consequence = amaniAheadOnFailure
        ? "Amani's current token is NOT in the secret; the next successful run stores it (reconcile)"
        : 'the secret is unchanged';
      throw fail(step, `writing the token secret failed after ${result.attempts} attempt(s): ${describe(result.error)}; ${consequence}`, amaniAheadOnFailure);
    }
  };

  const amaniToken = async (step: RotationStep, amaniMayBeAhead = false): Promise<string> => {
    try {
      const token = await ports.amani.getWebhookToken();
      remember(token);
      return token;
    } catch (error) {
      throw fail(step, `reading Amani's current token failed: ${describe(error)}`, amaniMayBeAhead);
    }
  };

  /** Amani and the secret must both hold `expected` now. */
  const confirm = async (expected: TokenSecret): Promise<void> => {
    const atAmani = await amaniToken('confirm', true);
    if (atAmani !== expected.token) {
      throw fail('confirm', "Amani's current token changed again after it was stored (a concurrent rotation?); the next run reconciles", true);
    }
    const stored = await readSecret('confirm');
    if (stored.token !== expected.token) {
      throw fail('confirm', 'the token secret does not hold the token just stored (a concurrent writer?); the next run reconciles', true);
    }
  };

  let changedElsewhere = false;
  const summary = (outcome: RotationOutcome, secret: TokenSecret, reconciled: boolean): RotationSummary => ({
    action: request.action,
    outcome,
    reconciled,
    ...(changedElsewhere ? { changedElsewhere: true as const } : {}),
    ...(secret.rotatedAt ? { rotatedAt: secret.rotatedAt } : {}),
    ...(secret.previousToken && secret.previousTokenValidUntil ? { previousTokenValidUntil: secret.previousTokenValidUntil } : {}),
  });

  /**
   * The secret after `token` became current at `now`, `replaced` (if any) kept for the grace
   * window; the last "changed elsewhere" time is carried along.
   */
  const successor = (token: string, replaced: string | undefined, changedElsewhereAt: string | undefined): TokenSecret => {
    const now = env.now();
    const keepPrevious = replaced !== undefined && replaced !== token && !request.revokePrevious && settings.previousTokenGraceMs > 0;
    return {
      token,
      ...(keepPrevious
        ? { previousToken: replaced, previousTokenValidUntil: new Date(now.getTime() + settings.previousTokenGraceMs).toISOString() }
        : {}),
      rotatedAt: now.toISOString(),
      ...(changedElsewhereAt ? { tokenChangedElsewhereAt: changedElsewhereAt } : {}),
    };
  };

  // 1. Read; bootstrap when there is nothing yet.
  const stored = await readSecret('read-secret');
  const current = await amaniToken('get-token');
  if (!stored.token) {
    const bootstrapped = successor(current, undefined, undefined);
    await writeSecret('store-bootstrap', bootstrapped, true);
    await confirm(bootstrapped);
    return summary('bootstrapped', bootstrapped, false);
  }

  // 2. Reconcile.
  let secret = stored;
  let reconciled = false;
  if (current !== stored.token) {
    changedElsewhere = current !== stored.previousToken;
    secret = successor(current, stored.token, changedElsewhere ? env.now().toISOString() : stored.tokenChangedElsewhereAt);
    await writeSecret('store-reconciled', secret, true);
    reconciled = true;
  }
  if (request.action === 'sync') {
    if (reconciled) await confirm(secret);
    return summary(reconciled ? 'reconciled' : 'in-sync', secret, reconciled);
  }

  // 3. Too young to rotate again?
  const force = request.force || request.revokePrevious;
  if (!force && secret.rotatedAt !== undefined && env.now().getTime() - Date.parse(secret.rotatedAt) < settings.minRotationAgeMs) {
    if (reconciled) await confirm(secret);
    return summary(reconciled ? 'reconciled' : 'skipped', secret, reconciled);
  }

  // 4. Rotate.
  const oldToken = current;
  if (env.remainingTimeMs && settings.minRemainingBeforeRotateMs !== undefined) {
    const left = env.remainingTimeMs();
    if (left < settings.minRemainingBeforeRotateMs) {
      throw fail('check-time', `only ${left} ms left in the invocation, ${settings.minRemainingBeforeRotateMs} ms needed to rotate and store safely; not rotated`);
    }
  }
  let rotation: TokenRotationResult;
  try {
    rotation = await ports.amani.rotateWebhookToken();
  } catch (error) {
    throw fail('rotate-token', `Amani refused the rotation: ${describe(error)}; Amani still has the stored token`);
  }
  let newToken: string;
  if (rotation.outcome === 'rotated') {
    newToken = rotation.token;
    remember(newToken);
  } else {
    // Never PATCH again blindly: ask what is true.
    const cause = describe(rotation.cause);
    let truth: string;
    try {
      truth = await ports.amani.getWebhookToken();
      remember(truth);
    } catch (error) {
      throw fail('resolve-ambiguous', `the rotation's outcome is unknown (${cause}) and reading Amani's token failed: ${describe(error)}; the next run reconciles`, true);
    }
    env.observer?.ambiguousRotation?.(cause, truth !== oldToken);
    if (truth === oldToken) throw fail('rotate-token', `the rotation's outcome was unknown (${cause}); Amani still has the stored token: not rotated`);
    newToken = truth;
  }
  if (newToken === oldToken) throw fail('rotate-token', 'Amani answered the rotation with the token it already had: not rotated');

  const rotated = successor(newToken, oldToken, secret.tokenChangedElsewhereAt);
  await writeSecret('store-rotated', rotated, true);
  await confirm(rotated);
  return summary('rotated', rotated, reconciled);
}

/** Defence in depth: no token value the run has seen may survive in a message. */
function redact(message: string, tokens: ReadonlySet<string>): string {
  let result = message;
  for (const token of tokens) if (token.length >= 4) result = result.split(token).join('[redacted]');
  return result;
}
