import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { SecretUnavailableError, type TokenSecretReader, type TokenSecretWriter } from '../adapters/token-secret-store';
import type { RetryEnvironment } from '../core/retry';
import {
  RotationError,
  runRotation,
  type AmaniTokenApi,
  type RotationRequest,
  type RotationSettings,
  type RotationSummary,
} from '../core/rotation';
import { TokenSecretFormatError } from '../core/token-secret';
import type { RotatorConfig } from './config';

/**
 * The rotator's use case: one run of the rotation (`../core/rotation.ts`, which states the
 * invariant) with its logs and metrics. Success and failure each produce exactly one structured
 * log line; a failure is re-thrown, free of secrets, so that the platform retries and alarms fire.
 */
export interface RotatorDependencies {
  readonly config: RotatorConfig;
  readonly store: TokenSecretReader & TokenSecretWriter;
  /** Reads the Amani API credentials and returns a client logged in on first use. */
  readonly connectAmani: () => Promise<AmaniTokenApi>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => Date;
  readonly newIdempotencyKey: () => string;
  readonly retryEnvironment: RetryEnvironment;
  readonly remainingTimeMs?: () => number;
}

/** Secrets Manager errors that no repetition within one run can heal. */
const PERMANENT_AWS_ERRORS = new Set([
  'AccessDeniedException',
  'ResourceNotFoundException',
  'ResourceExistsException',
  'InvalidParameterException',
  'InvalidRequestException',
  'ValidationException',
  'DecryptionFailure',
  'EncryptionFailure',
  'LimitExceededException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
]);

/**
 * Whether a failed read/write of a secret is worth repeating. Losing a freshly rotated token is
 * the worst outcome, so anything not known to be permanent is retried within the budget.
 */
export function isRetryableSecretError(error: unknown): boolean {
  if (error instanceof TokenSecretFormatError) return false;
  if (error instanceof SecretUnavailableError) {
    const cause = error.cause;
    return !(cause instanceof Error && PERMANENT_AWS_ERRORS.has(cause.name));
  }
  return true;
}

export function rotationSettings(config: RotatorConfig): RotationSettings {
  return {
    previousTokenGraceMs: config.previousTokenGraceMs,
    minRotationAgeMs: config.minRotationAgeMs,
    store: { budgetMs: config.storeRetryBudgetMs, maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 3000 },
    // Time for the PATCH, one GET should it be ambiguous, and some store attempts.
    minRemainingBeforeRotateMs: 2 * config.amaniTimeoutMs + Math.min(5000, config.storeRetryBudgetMs),
  };
}

export async function rotateToken(request: RotationRequest, deps: RotatorDependencies): Promise<RotationSummary> {
  const { logger, metrics } = deps;
  const startedAt = Date.now();
  const context = { action: request.action, force: request.force, revokePrevious: request.revokePrevious };
  try {
    let amani: AmaniTokenApi;
    try {
      amani = await deps.connectAmani();
    } catch (error) {
      throw new RotationError('read-credentials', `the Amani API credentials are not usable: ${safeMessage(error)}; nothing was changed`, false);
    }
    const summary = await runRotation(request, { secret: deps.store, amani }, rotationSettings(deps.config), {
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
    });
    const tokenAgeHours = ageInHours(summary.rotatedAt, deps.now());
    metrics.addMetric('RotationSucceeded', MetricUnit.Count, 1);
    if (summary.outcome === 'bootstrapped') metrics.addMetric('Bootstrapped', MetricUnit.Count, 1);
    if (summary.outcome === 'skipped') metrics.addMetric('RotationSkipped', MetricUnit.Count, 1);
    if (summary.outcome === 'rotated') metrics.addMetric('TokenRotated', MetricUnit.Count, 1);
    if (summary.reconciled) metrics.addMetric('Reconciled', MetricUnit.Count, 1);
    if (tokenAgeHours !== undefined) metrics.addMetric('TokenAgeHours', MetricUnit.NoUnit, tokenAgeHours);
    logger.info('token rotation run succeeded', {
      ...context,
      outcome: summary.outcome,
      reconciled: summary.reconciled,
      rotatedAt: summary.rotatedAt,
      previousTokenValidUntil: summary.previousTokenValidUntil,
      tokenAgeHours,
      durationMs: Date.now() - startedAt,
    });
    return summary;
  } catch (error) {
    const failure =
      error instanceof RotationError ? error : new RotationError('unexpected', `unexpected ${error instanceof Error ? error.name : 'error'}`, true);
    metrics.addMetric('RotationFailed', MetricUnit.Count, 1);
    logger.error('token rotation run failed', {
      ...context,
      outcome: 'failed',
      step: failure.step,
      amaniMayBeAhead: failure.amaniMayBeAhead,
      reason: failure.message,
      durationMs: Date.now() - startedAt,
    });
    throw failure;
  }
}

/** Messages of our own error types are secret-free; anything else is named only. */
function safeMessage(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  return ['AmaniCredentialsMissingError', 'SecretUnavailableError', 'AmaniApiError'].includes(error.name) ? error.message : error.name;
}

function ageInHours(rotatedAt: string | undefined, now: Date): number | undefined {
  if (!rotatedAt) return undefined;
  const at = Date.parse(rotatedAt);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, Math.round(((now.getTime() - at) / 3_600_000) * 100) / 100);
}
