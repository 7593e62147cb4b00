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
    // The middleware stack is resolved once per command type instead of on every send (a third
    // of a call's CPU, docs/benchmarks.md). The SDK only uses the cache for sends without
    // per-call options: a call's deadline goes through `sendWithin` instead.
    cacheMiddleware: true,
    requestHandler: {
      connectionTimeout: timeouts.connectionTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}

/** What `withCallDeadlines` needs of an SDK v3 client. */
interface SdkClient {
  readonly config: { requestHandler: unknown };
  readonly middlewareStack: {
    add(
      middleware: (next: (args: CallArguments) => Promise<unknown>) => (args: CallArguments) => Promise<unknown>,
      options: { step: 'deserialize'; priority: 'low'; name: string },
    ): void;
  };
}

interface CallArguments {
  readonly input: object;
  readonly request: unknown;
}

/** An SDK request handler (the transport), as the client calls it. */
interface Transport {
  handle(request: object, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** The deadline of each call in flight: by its command's input (set by `sendWithin`), then by its signed request. */
const callDeadlines = new WeakMap<object, AbortSignal>();
const requestDeadlines = new WeakMap<object, AbortSignal>();

/**
 * Hands each call's deadline (`sendWithin`) to the client's transport, which aborts the request
 * in flight when it passes. The signed request only exists inside the stack, so the last
 * middleware before the transport names it; the transport finds the deadline by it. Idempotent;
 * the adapters apply it to the client they are given, before its first send (a cached stack
 * keeps the transport it was built with: a call through one built earlier is still bounded, its
 * request is only not aborted).
 */
export function withCallDeadlines<Client extends object>(client: Client): Client {
  const sdk = client as unknown as SdkClient;
  if (sdk.config.requestHandler instanceof DeadlineTransport) return client;
  sdk.middlewareStack.add(
    (next) => (args) => {
      const deadline = callDeadlines.get(args.input);
      if (deadline && typeof args.request === 'object' && args.request !== null) requestDeadlines.set(args.request, deadline);
      return next(args);
    },
    { step: 'deserialize', priority: 'low', name: 'callDeadlineToTransport' },
  );
  sdk.config.requestHandler = new DeadlineTransport(sdk.config.requestHandler as Transport);
  return client;
}

/** The client's own transport, given the abort signal of the call a request belongs to. */
export class DeadlineTransport implements Transport {
  constructor(public transport: Transport) {}

  handle(request: object, options?: { abortSignal?: AbortSignal }): Promise<unknown> {
    const deadline = requestDeadlines.get(request);
    return this.transport.handle(request, deadline ? { ...options, abortSignal: deadline } : options);
  }

  // The rest of the SDK's request-handler interface, passed through.
  get metadata(): unknown {
    return (this.transport as { metadata?: unknown }).metadata;
  }
  updateHttpClientConfig(key: never, value: never): void {
    (this.transport as { updateHttpClientConfig?: (key: never, value: never) => void }).updateHttpClientConfig?.(key, value);
  }
  httpHandlerConfigs(): unknown {
    return (this.transport as { httpHandlerConfigs?: () => unknown }).httpHandlerConfigs?.() ?? {};
  }
  destroy(): void {
    (this.transport as { destroy?: () => void }).destroy?.();
  }
}

/** The error a call ends with when its deadline passes (classified `transient`, like the SDK's timeouts). */
export class CallDeadlineError extends Error {
  constructor(budgetMs: number) {
    super(`no answer within ${budgetMs} ms`);
    this.name = 'TimeoutError';
  }
}

/** A client made on first use, once: for clients only a rare path needs (their module is loaded then). */
export function lazyClient<Client>(make: () => Promise<Client>): () => Promise<Client> {
  let made: Promise<Client> | undefined;
  return () => {
    made ??= make();
    return made;
  };
}

/**
 * `send(command)` bounded as a whole by `budgetMs` (the SDK's own attempts and backoff included),
 * on a client set up by `withCallDeadlines`: past the deadline the call rejects with
 * `CallDeadlineError` at once, and the request in flight is aborted. A cheaper equivalent of
 * `send(command, { abortSignal: AbortSignal.timeout(budgetMs) })`, which would bypass the
 * client's cached middleware stack.
 */
export async function sendWithin<Command extends { readonly input: object }, Output>(
  command: Command,
  budgetMs: number,
  send: (command: Command) => Promise<Output>,
): Promise<Output> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        const error = new CallDeadlineError(budgetMs);
        controller.abort(error);
        reject(error);
      },
      Math.max(1, budgetMs),
    );
  });
  callDeadlines.set(command.input, controller.signal);
  try {
    return await Promise.race([send(command), expired]);
  } finally {
    clearTimeout(timer);
  }
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
