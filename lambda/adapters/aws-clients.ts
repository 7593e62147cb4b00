import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';

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

/** Whether another attempt at the same AWS call may succeed (throttling, 5xx, network, timeouts). */
export function isRetryableAwsError(error: unknown): boolean {
  // Duck-typed: errors from another realm (undici's, jest's sandbox) are not `instanceof Error`.
  if (!isErrorLike(error)) return false;
  // Our own per-attempt abort is a timeout as far as retrying is concerned.
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return true;
  const sdkError = error as Parameters<typeof isTransientError>[0];
  return isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError) || sdkError.$retryable !== undefined;
}

/** A short, secret-free description of an AWS failure for logs and error messages. */
export function describeAwsError(error: unknown): string {
  if (!isErrorLike(error)) return 'unknown error';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (error as { code?: string }).code;
  return [error.name, code && code !== error.name ? code : undefined, status ? `HTTP ${status}` : undefined]
    .filter(Boolean)
    .join(' ');
}

function isErrorLike(error: unknown): error is Error {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string';
}
