/**
 * Rotation of the Amani webhook token: pure logic over two ports (the token secret, and Amani's
 * token endpoints). No AWS or HTTP here; the adapters and the rotator Lambda wire it up.
 *
 * INVARIANT
 *   After any sequence of runs in which the last one succeeded, the secret's `token` equals
 *   Amani's current token. After a failed run, one successful run restores that. A token is
 *   never written to a log, an error, a metric or an event.
 *
 * How each run keeps it: runRotation = readState -> reconcile -> decide -> patch -> store -> confirm.
 * 1. readState: the secret and Amani's current token. Without a `token` in the secret (fresh
 *    deploy): bootstrap by storing Amani's current token, confirm, and stop; nothing is rotated.
 * 2. reconcile: when Amani's token differs from the stored one (a run that crashed between PATCH
 *    and store, an out-of-band rotation), store Amani's as `token` and the stored one as
 *    `previousToken` with the grace window. A token that is neither of the two stored ones was
 *    changed elsewhere (another stage on the same Amani account, Amani's dashboard, or this
 *    stack's own run that died between PATCH and store): the summary says so
 *    (`changedElsewhere`) and the secret keeps the time (`tokenChangedElsewhereAt`).
 * 3. decide: the `sync` action stops here; a rotation that is not forced is skipped while the
 *    last one is younger than the minimum age, so duplicate scheduler invocations (and the retry
 *    of a run that reconciled) do not rotate twice. A run that reconciled and stops confirms.
 * 4. patch: PATCH once. An ambiguous PATCH (timeout, 5xx, connection reset, unreadable answer) is
 *    never repeated: GET tells whether Amani rotated (changed: that is the new token; unchanged:
 *    the run fails and nothing was lost).
 * 5. store the new token at once, retrying with backoff under ONE idempotency key (Secrets
 *    Manager ClientRequestToken), so a retried write whose first attempt did land creates no
 *    second version.
 * 6. confirm: GET again and re-read the secret; both must hold the token just stored (this
 *    catches a concurrent run or writer).
 * Any failure throws a `RotationError` whose message is free of secrets; if Amani may be ahead of
 * the secret, the next run's reconcile repairs it.
 */
import { mayHealOnRetry, SafeError, safeMessage } from './errors';
import type { AmaniTokenApi, TokenRotationResult, TokenSecretReader, TokenSecretWriter } from './ports';
import { retryWithinBudget, type BackoffPolicy, type RetryEnvironment } from './retry';
import type { TokenSecret } from './token-secret';

export type RotationAction = 'rotate' | 'sync';

export interface RotationRequest {
  readonly action: RotationAction;
  /** Rotate even when the last rotation is younger than the minimum age. */
  readonly force: boolean;
  /** Emergency: keep no previous token (a leaked token stops working at once). Implies force. */
  readonly revokePrevious: boolean;
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
  /** Whether a failed read or write of the secret may succeed when repeated. Default: all but a `client` failure. */
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

/** A failed run: the step, whether Amani may be ahead of the secret, and a secret-free reason. */
export class RotationError extends SafeError {
  constructor(
    readonly step: RotationStep,
    reason: string,
    /** Amani may hold a token the secret does not: deliveries fail until the next successful run. */
    readonly amaniMayBeAhead: boolean,
  ) {
    super(`Token rotation failed at ${step}: ${reason}`);
    this.name = 'RotationError';
  }

  /** Whether `error` is a RotationError, by brand and name (see SafeError). */
  static override is(error: unknown): error is RotationError {
    return SafeError.is(error) && error.name === 'RotationError';
  }
}

/** Kept back from the invocation's end so that a failure can still be logged. */
const STORE_SAFETY_MARGIN_MS = 1000;

/** Runs one rotation or sync; resolves with what it did, or throws a `RotationError`. */
export async function runRotation(
  request: RotationRequest,
  ports: RotationPorts,
  settings: RotationSettings,
  env: RotationEnvironment,
): Promise<RotationSummary> {
  const run = new RotationRun(request, ports, settings, env);
  const state = await readState(run);
  if (!state.stored.token) return bootstrap(run, state.amaniToken);
  const reconciled = await reconcile(run, state);
  const decision = decide(run, reconciled);
  if (!decision.rotate) {
    if (reconciled.changed) await confirm(run, reconciled.secret);
    return run.summary(decision.outcome, reconciled.secret, reconciled);
  }
  const newToken = await patch(run, state.amaniToken);
  const rotated = await store(run, 'store-rotated', run.successor(newToken, state.amaniToken, reconciled.secret.tokenChangedElsewhereAt));
  await confirm(run, rotated);
  return run.summary('rotated', rotated, reconciled);
}

interface State {
  readonly stored: TokenSecret;
  readonly amaniToken: string;
}

/** The secret after reconciling: `changed` when it was rewritten to agree with Amani. */
interface Reconciled {
  readonly secret: TokenSecret;
  readonly changed: boolean;
  /** Amani held a token that was neither stored one. */
  readonly changedElsewhere: boolean;
}

type Decision = { readonly rotate: true } | { readonly rotate: false; readonly outcome: RotationOutcome };

/** 1. The stored secret, then Amani's current token. */
async function readState(run: RotationRun): Promise<State> {
  const stored = await run.readSecret('read-secret');
  return { stored, amaniToken: await run.amaniToken('get-token') };
}

/** A fresh deploy: store Amani's current token as it is; nothing is rotated. */
async function bootstrap(run: RotationRun, amaniToken: string): Promise<RotationSummary> {
  const bootstrapped = await store(run, 'store-bootstrap', run.successor(amaniToken, undefined, undefined));
  await confirm(run, bootstrapped);
  return run.summary('bootstrapped', bootstrapped, { changed: false, changedElsewhere: false });
}

/** 2. Make the secret agree with Amani; the replaced token stays valid for the grace window. */
async function reconcile(run: RotationRun, { stored, amaniToken }: State): Promise<Reconciled> {
  if (amaniToken === stored.token) return { secret: stored, changed: false, changedElsewhere: false };
  const changedElsewhere = amaniToken !== stored.previousToken;
  const changedElsewhereAt = changedElsewhere ? run.env.now().toISOString() : stored.tokenChangedElsewhereAt;
  const secret = await store(run, 'store-reconciled', run.successor(amaniToken, stored.token, changedElsewhereAt));
  return { secret, changed: true, changedElsewhere };
}

/** 3. Rotate only when asked to, and not again while the last rotation is younger than the minimum age. */
function decide(run: RotationRun, { secret, changed }: Reconciled): Decision {
  const { request, settings, env } = run;
  if (request.action === 'sync') return { rotate: false, outcome: changed ? 'reconciled' : 'in-sync' };
  const force = request.force || request.revokePrevious;
  const age = secret.rotatedAt === undefined ? Number.POSITIVE_INFINITY : env.now().getTime() - Date.parse(secret.rotatedAt);
  if (!force && age < settings.minRotationAgeMs) return { rotate: false, outcome: changed ? 'reconciled' : 'skipped' };
  return { rotate: true };
}

/** 4. PATCH once, with time left to store the result; an ambiguous answer is resolved by GET, never by a second PATCH. */
async function patch(run: RotationRun, oldToken: string): Promise<string> {
  ensureTimeToRotate(run);
  let rotation: TokenRotationResult;
  try {
    rotation = await run.ports.amani.rotateWebhookToken();
  } catch (error) {
    throw run.fail('rotate-token', `Amani refused the rotation: ${run.describe(error)}; Amani still has the stored token`);
  }
  const newToken = rotation.outcome === 'rotated' ? run.remember(rotation.token) : await resolveAmbiguous(run, rotation.cause, oldToken);
  if (newToken === oldToken) throw run.fail('rotate-token', 'Amani answered the rotation with the token it already had: not rotated');
  return newToken;
}

function ensureTimeToRotate({ env, settings, fail }: RotationRun): void {
  if (!env.remainingTimeMs || settings.minRemainingBeforeRotateMs === undefined) return;
  const left = env.remainingTimeMs();
  if (left < settings.minRemainingBeforeRotateMs) {
    throw fail(
      'check-time',
      `only ${left} ms left in the invocation, ${settings.minRemainingBeforeRotateMs} ms needed to rotate and store safely; not rotated`,
    );
  }
}

/** The PATCH's outcome is unknown: GET tells whether Amani rotated (its token is then the new one). */
async function resolveAmbiguous(run: RotationRun, rawCause: string, oldToken: string): Promise<string> {
  const cause = run.describe(rawCause);
  let truth: string;
  try {
    truth = run.remember(await run.ports.amani.getWebhookToken());
  } catch (error) {
    throw run.fail(
      'resolve-ambiguous',
      `the rotation's outcome is unknown (${cause}) and reading Amani's token failed: ${run.describe(error)}; the next run reconciles`,
      true,
    );
  }
  run.env.observer?.ambiguousRotation?.(cause, truth !== oldToken);
  if (truth === oldToken)
    throw run.fail('rotate-token', `the rotation's outcome was unknown (${cause}); Amani still has the stored token: not rotated`);
  return truth;
}

/** 5. Write the secret, retried under ONE idempotency key; on failure Amani is ahead of the secret. */
async function store(run: RotationRun, step: RotationStep, secret: TokenSecret): Promise<TokenSecret> {
  await run.writeSecret(step, secret);
  return secret;
}

/** 6. Amani and the secret must both hold the token just stored: catches a concurrent run or writer. */
async function confirm(run: RotationRun, expected: TokenSecret): Promise<void> {
  const atAmani = await run.amaniToken('confirm', true);
  if (atAmani !== expected.token) {
    throw run.fail(
      'confirm',
      "Amani's current token changed again after it was stored (a concurrent rotation?); the next run reconciles",
      true,
    );
  }
  const stored = await run.readSecret('confirm');
  if (stored.token !== expected.token) {
    throw run.fail('confirm', 'the token secret does not hold the token just stored (a concurrent writer?); the next run reconciles', true);
  }
}

/**
 * What every step of one run shares: the request, ports, settings and environment, the retried
 * secret reads and writes, and the tokens seen so far (none of them may survive in a message).
 */
class RotationRun {
  private readonly known = new Set<string>();

  constructor(
    readonly request: RotationRequest,
    readonly ports: RotationPorts,
    readonly settings: RotationSettings,
    readonly env: RotationEnvironment,
  ) {}

  /** Records a token so that no message can carry it; returns it. */
  readonly remember = (token: string): string => {
    this.known.add(token);
    return token;
  };

  /** A secret-free description of a port's failure (defence in depth: known tokens are redacted too). */
  readonly describe = (error: unknown): string => redact(typeof error === 'string' ? error : safeMessage(error), this.known);

  readonly fail = (step: RotationStep, reason: string, amaniMayBeAhead = false): RotationError =>
    new RotationError(step, redact(reason, this.known), amaniMayBeAhead);

  async amaniToken(step: RotationStep, amaniMayBeAhead = false): Promise<string> {
    try {
      return this.remember(await this.ports.amani.getWebhookToken());
    } catch (error) {
      throw this.fail(step, `reading Amani's current token failed: ${this.describe(error)}`, amaniMayBeAhead);
    }
  }

  async readSecret(step: RotationStep): Promise<TokenSecret> {
    const result = await this.retried('read', () => this.ports.secret.read());
    if (!result.ok)
      throw this.fail(step, `reading the token secret failed after ${result.attempts} attempt(s): ${this.describe(result.error)}`);
    for (const token of [result.value.token, result.value.previousToken]) if (token) this.remember(token);
    return result.value;
  }

  /** Every write stores Amani's current token: when it fails, Amani is ahead of the secret. */
  async writeSecret(step: RotationStep, secret: TokenSecret): Promise<void> {
    // One key for every attempt of this logical write: a retry after a lost answer is a no-op.
    const idempotencyKey = this.env.newIdempotencyKey();
    const result = await this.retried('write', () => this.ports.secret.write(secret, idempotencyKey));
    if (result.ok) return;
    const reason = `writing the token secret failed after ${result.attempts} attempt(s): ${this.describe(result.error)}`;
    throw this.fail(step, `${reason}; Amani's current token is NOT in the secret; the next successful run stores it (reconcile)`, true);
  }

  /**
   * The secret after `token` became current now, `replaced` (if any) kept for the grace window;
   * the last "changed elsewhere" time is carried along.
   */
  successor(token: string, replaced: string | undefined, changedElsewhereAt: string | undefined): TokenSecret {
    const now = this.env.now();
    const { previousTokenGraceMs } = this.settings;
    const keepPrevious = replaced !== undefined && replaced !== token && !this.request.revokePrevious && previousTokenGraceMs > 0;
    return {
      token,
      ...(keepPrevious
        ? { previousToken: replaced, previousTokenValidUntil: new Date(now.getTime() + previousTokenGraceMs).toISOString() }
        : {}),
      rotatedAt: now.toISOString(),
      ...(changedElsewhereAt ? { tokenChangedElsewhereAt: changedElsewhereAt } : {}),
    };
  }

  summary(outcome: RotationOutcome, secret: TokenSecret, reconciled: Pick<Reconciled, 'changed' | 'changedElsewhere'>): RotationSummary {
    return {
      action: this.request.action,
      outcome,
      reconciled: reconciled.changed,
      ...(reconciled.changedElsewhere ? { changedElsewhere: true as const } : {}),
      ...(secret.rotatedAt ? { rotatedAt: secret.rotatedAt } : {}),
      ...(secret.previousToken && secret.previousTokenValidUntil ? { previousTokenValidUntil: secret.previousTokenValidUntil } : {}),
    };
  }

  /** One logical read or write of the secret, retried within the store budget (bounded by the invocation's time). */
  private retried<T>(operation: 'read' | 'write', call: () => Promise<T>) {
    const isRetryable = this.env.isRetryableStoreError ?? mayHealOnRetry;
    const left = this.env.remainingTimeMs ? this.env.remainingTimeMs() - STORE_SAFETY_MARGIN_MS : Number.POSITIVE_INFINITY;
    return retryWithinBudget<T>(
      {
        ...this.settings.store,
        budgetMs: Math.max(0, Math.min(this.settings.store.budgetMs, left)),
        attempt: async () => {
          try {
            return { done: true, value: await call() };
          } catch (error) {
            return { done: false, retryable: isRetryable(error), error };
          }
        },
        onRetry: (attempt, error, delayMs) => this.env.observer?.storeRetry?.(operation, attempt, this.describe(error), delayMs),
      },
      this.env.retry,
    );
  }
}

/** Defence in depth: no token value the run has seen may survive in a message. */
function redact(message: string, tokens: ReadonlySet<string>): string {
  let result = message;
  for (const token of tokens) if (token.length >= 4) result = result.split(token).join('[redacted]');
  return result;
}
