/**
 * The one error type whose message may be logged, returned, or put in another message.
 *
 * A `SafeError`'s message is built only from what is safe to show: operation and endpoint names,
 * HTTP statuses, AWS error names and codes, field paths, counts and durations. Never a token,
 * a password, a signature, a body, a header value or a service's own error text (those may echo
 * any of them). The failure it replaces is kept for a debugger, outside `cause` (which loggers
 * such as Powertools print) and out of every enumerable property.
 *
 * Errors are recognised by a brand, never by `instanceof`: an error made in another realm (jest's
 * sandbox, a second copy of this module in a bundle) is not an instance of this module's class.
 */

/**
 * What repeating a failed call can achieve:
 * - `throttled`: the dependency asked to slow down; another attempt after a wait may succeed;
 * - `transient`: a 5xx, a timeout or a network failure; another attempt may succeed;
 * - `client`: the call, or the data it met, is wrong or not allowed; repeating cannot help;
 * - `unknown`: not recognised; each caller decides (publishing does not repeat it, storing a
 *   freshly rotated token does).
 */
export type FailureClass = 'throttled' | 'transient' | 'client' | 'unknown';

export interface SafeErrorOptions {
  /** What went wrong underneath. Kept for a debugger; never in the message, never logged. */
  readonly cause?: unknown;
  readonly failure?: FailureClass;
}

const BRAND = Symbol.for('amani-webhooks.SafeError');

export class SafeError extends Error {
  readonly failure: FailureClass;
  readonly #cause: unknown;

  constructor(message: string, options: SafeErrorOptions = {}) {
    super(message);
    this.name = 'SafeError';
    this.failure = options.failure ?? 'unknown';
    this.#cause = options.cause;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** The failure this error stands for. It may carry secrets or personal data: never log it. */
  unloggedCause(): unknown {
    return this.#cause;
  }

  /** Whether `error` is a SafeError, from any realm or copy of this module. */
  static is(error: unknown): error is SafeError {
    return typeof error === 'object' && error !== null && (error as { [BRAND]?: unknown })[BRAND] === true;
  }
}

/** What may be said about any thrown value: a SafeError's message; of anything else, its name only. */
export function safeMessage(error: unknown): string {
  if (SafeError.is(error)) return error.message;
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return typeof name === 'string' && /^[A-Za-z][\w.-]{0,63}$/.test(name) ? name : 'unknown error';
}

/** Whether another attempt at a failed call is worth making when anything not known to be permanent is. */
export function mayHealOnRetry(error: unknown): boolean {
  return !(SafeError.is(error) && error.failure === 'client');
}
