import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { describeOwner, ownershipOf, type ClaimHolder, type StoredClaim } from '../core/account-claim';
import { mayHealOnRetry, safeMessage } from '../core/errors';
import type { AccountClaimReader, AmaniTokenApi, TokenSecretReader, TokenSecretWriter } from '../core/ports';
import type { RetryEnvironment } from '../core/retry';
import {
  RotationError,
  runRotation,
  type RotationEnvironment,
  type RotationRequest,
  type RotationSettings,
  type RotationSummary,
} from '../core/rotation';
import type { RotatorConfig } from './env';

/**
 * The rotator's use case: one run of the rotation (`../core/rotation.ts`, which states the
 * invariant) with its logs and metrics. Success and failure each produce exactly one structured
 * log line; a failure is re-thrown, free of secrets, so that the platform retries and alarms fire.
 */
/** Amani's token API for the account the credentials name, and that account's claim key. */
export interface AmaniConnection {
  readonly api: AmaniTokenApi;
  readonly accountKey: string;
}

/** What a run reads of the rotator's configuration. */
export type RotationConfig = Pick<RotatorConfig, 'previousTokenGraceMs' | 'minRotationAgeMs' | 'amaniTimeoutMs' | 'storeRetryBudgetMs'>;

export interface RotatorDependencies {
  readonly config: RotationConfig;
  readonly store: TokenSecretReader & TokenSecretWriter;
  /** Reads the Amani API credentials and returns a client logged in on first use. */
  readonly connectAmani: () => Promise<AmaniConnection>;
  /** Deployed stacks: rotations are refused while another stack holds the account's claim. */
  readonly accountClaim?: { readonly holder: ClaimHolder; readonly store: AccountClaimReader };
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => Date;
  readonly newIdempotencyKey: () => string;
  readonly retryEnvironment: RetryEnvironment;
  readonly remainingTimeMs?: () => number;
}

/**
 * Whether a failed read/write of a secret is worth repeating. Losing a freshly rotated token is
 * the worst outcome, so anything not known to be permanent (a `client` failure) is retried within
 * the budget.
 */
export function isRetryableSecretError(error: unknown): boolean {
  return mayHealOnRetry(error);
}

export function rotationSettings(config: RotationConfig): RotationSettings {
  return {
    previousTokenGraceMs: config.previousTokenGraceMs,
    minRotationAgeMs: config.minRotationAgeMs,
    store: { budgetMs: config.storeRetryBudgetMs, maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 3000 },
    // Time for the PATCH, one GET should it be ambiguous, and some store attempts.
    minRemainingBeforeRotateMs: 2 * config.amaniTimeoutMs + Math.min(5000, config.storeRetryBudgetMs),
  };
}

/** One run: connect to Amani, check the account's claim (rotations only), rotate or sync, report. */
export async function rotateToken(request: RotationRequest, deps: RotatorDependencies): Promise<RotationSummary> {
  const startedAt = Date.now();
  try {
    const connection = await connect(deps);
    if (request.action === 'rotate') await refuseIfClaimedByAnotherStack(connection.accountKey, deps);
    const summary = await runRotation(
      request,
      { secret: deps.store, amani: connection.api },
      rotationSettings(deps.config),
      rotationEnvironment(deps),
    );
    reportSuccess(request, summary, deps, startedAt);
    return summary;
  } catch (error) {
    throw reportFailure(request, error, deps, startedAt);
  }
}

async function connect(deps: RotatorDependencies): Promise<AmaniConnection> {
  try {
    return await deps.connectAmani();
  } catch (error) {
    throw new RotationError(
      'read-credentials',
      `the Amani API credentials are not usable: ${safeMessage(error)}; nothing was changed`,
      false,
    );
  }
}

function rotationEnvironment(deps: RotatorDependencies): RotationEnvironment {
  const { logger, metrics } = deps;
  return {
    now: deps.now,
    newIdempotencyKey: deps.newIdempotencyKey,
    retry: deps.retryEnvironment,
    isRetryableStoreError: isRetryableSecretError,
    ...(deps.remainingTimeMs ? { remainingTimeMs: deps.remainingTimeMs } : {}),
    observer: {
      storeRetry: (operation, attempt, reason, delayMs) => {
        metrics.addMetric('SecretStoreRetries', MetricUnit.Count, 1);
        logger.warn('retrying the token secret', { operation, attempt, reason, delayMs });
      },
      ambiguousRotation: (cause, amaniRotated) => {
        metrics.addMetric('RotationAmbiguous', MetricUnit.Count, 1);
        logger.warn('the rotation outcome was ambiguous; asked Amani what is true', { cause, amaniRotated });
      },
    },
  };
}

/** Exactly one log line and the success metrics of a run. */
function reportSuccess(
  request: RotationRequest,
  summary: RotationSummary,
  { logger, metrics, now }: RotatorDependencies,
  startedAt: number,
): void {
  const tokenAgeHours = ageInHours(summary.rotatedAt, now());
  metrics.addMetric('RotationSucceeded', MetricUnit.Count, 1);
  if (summary.outcome === 'bootstrapped') metrics.addMetric('Bootstrapped', MetricUnit.Count, 1);
  if (summary.outcome === 'skipped') metrics.addMetric('RotationSkipped', MetricUnit.Count, 1);
  if (summary.outcome === 'rotated') metrics.addMetric('TokenRotated', MetricUnit.Count, 1);
  if (summary.reconciled) metrics.addMetric('Reconciled', MetricUnit.Count, 1);
  if (summary.changedElsewhere) {
    metrics.addMetric('TokenChangedElsewhere', MetricUnit.Count, 1);
    logger.warn(
      "Amani's webhook token was changed outside this stack (another stage on the same Amani account, or Amani's dashboard); the secret now holds it",
      {
        ...requestFields(request),
        outcome: 'token-changed-elsewhere',
      },
    );
  }
  if (tokenAgeHours !== undefined) metrics.addMetric('TokenAgeHours', MetricUnit.NoUnit, tokenAgeHours);
  logger.info('token rotation run succeeded', {
    ...requestFields(request),
    outcome: summary.outcome,
    reconciled: summary.reconciled,
    rotatedAt: summary.rotatedAt,
    previousTokenValidUntil: summary.previousTokenValidUntil,
    tokenAgeHours,
    durationMs: Date.now() - startedAt,
  });
}

/** Exactly one log line and the failure metric; returns the secret-free error to throw. */
function reportFailure(
  request: RotationRequest,
  error: unknown,
  { logger, metrics }: RotatorDependencies,
  startedAt: number,
): RotationError {
  const failure = RotationError.is(error) ? error : new RotationError('unexpected', `unexpected ${safeMessage(error)}`, true);
  metrics.addMetric('RotationFailed', MetricUnit.Count, 1);
  logger.error('token rotation run failed', {
    ...requestFields(request),
    outcome: 'failed',
    step: failure.step,
    amaniMayBeAhead: failure.amaniMayBeAhead,
    reason: failure.message,
    durationMs: Date.now() - startedAt,
  });
  return failure;
}

function requestFields(request: RotationRequest) {
  return { action: request.action, force: request.force, revokePrevious: request.revokePrevious };
}

/**
 * One Amani account per stage: a stack whose credentials name an account another stack has
 * claimed must not replace that account's token (the other stack's receiver would refuse every
 * delivery until its next sync). A claim that cannot be read does not block a rotation: the
 * check guards against a misconfiguration, and an emergency rotation must not depend on SSM.
 */
async function refuseIfClaimedByAnotherStack(accountKey: string, deps: RotatorDependencies): Promise<void> {
  if (!deps.accountClaim) return;
  let stored: StoredClaim | undefined;
  try {
    stored = await deps.accountClaim.store.read(accountKey);
  } catch (error) {
    deps.logger.warn('could not read the Amani account claim; rotating anyway', { step: 'check-claim', reason: safeMessage(error) });
    return;
  }
  if (!stored || ownershipOf(stored.claim, deps.accountClaim.holder) !== 'other') return;
  throw new RotationError(
    'check-claim',
    `the Amani account of the credentials secret is claimed by ${describeOwner(stored.claim)}: one Amani account serves one stage, so this stack does not rotate its token; give this stage its own Amani account; nothing was changed`,
    false,
  );
}

function ageInHours(rotatedAt: string | undefined, now: Date): number | undefined {
  if (!rotatedAt) return undefined;
  const at = Date.parse(rotatedAt);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, Math.round(((now.getTime() - at) / 3_600_000) * 100) / 100);
}
