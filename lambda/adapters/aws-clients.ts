import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { FailureClass } from '../core/errors';

/**
 * Defaults for every AWS SDK client of the product: bounded connection and request times (an SDK
 * default waits forever), so a stuck dependency turns into a retry or a 5xx inside the Lambda's
 * timeout instead of a silent hang.
 */
export interface ClientTimeouts {
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** SDK-level attempts; callers that run their own retry loop set 1. */
  readonly maxAttempts: number;
}

export function clientOptions(timeouts: ClientTimeouts) {
  return {
    maxAttempts: timeouts.maxAttempts,
    requestHandler: {
      connectionTimeout: timeouts.connectionTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}

/**
 * AWS errors that no repetition within one run can heal, whatever else they look like (for
 * Secrets Manager, `LimitExceededException` is a quota of versions, not throttling).
 */
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
 * The one classification of a failed AWS SDK call (see `FailureClass`): an error known to be
 * permanent is `client`; then throttling; then anything transient (5xx, timeouts, network
 * errors, the SDK's own `$retryable`, our per-attempt abort); then any other refusal of the call
 * (the SDK's client fault, a 4xx); else `unknown`.
 * Duck-typed: errors from another realm (undici's, jest's sandbox) are not `instanceof Error`.
 */
export function classifyAwsError(error: unknown): FailureClass {
  if (!isErrorLike(error)) return 'unknown';
  if (PERMANENT_AWS_ERRORS.has(error.name)) return 'client';
  const sdkError = error as Parameters<typeof isTransientError>[0] & { $fault?: unknown };
  if (isThrottlingError(sdkError)) return 'throttled';
  // Our own per-attempt abort is a timeout as far as retrying is concerned.
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return 'transient';
  if (isTransientError(sdkError) || isServerError(sdkError) || sdkError.$retryable !== undefined) return 'transient';
  const status = sdkError.$metadata?.httpStatusCode;
  if (sdkError.$fault === 'client' || (status !== undefined && status >= 400 && status < 500)) return 'client';
  return 'unknown';
}

/** Whether `error` is the AWS error called `name` (e.g. `ParameterNotFound`); duck-typed. */
export function isAwsError(error: unknown, name: string): boolean {
  return isErrorLike(error) && error.name === name;
}

/** A short, secret-free description of an AWS failure: its name, code and HTTP status only. */
export function describeAwsError(error: unknown): string {
  if (!isErrorLike(error)) return 'unknown error';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (error as { code?: string }).code;
  return [error.name, code && code !== error.name ? code : undefined, status ? `HTTP ${status}` : undefined].filter(Boolean).join(' ');
}

function isErrorLike(error: unknown): error is Error {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string';
}
