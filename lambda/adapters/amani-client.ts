import * as z from 'zod';
import { amaniBaseUrlProblem } from '../core/validators';
import { SafeError, type FailureClass } from '../core/errors';
import type { AmaniApi, AmaniCredentials, TokenRotationResult, WebhookRegistration } from '../core/ports';
import { realRetryEnvironment, retryWithinBudget, type AttemptOutcome, type RetryEnvironment } from '../core/retry';

/**
 * Client of Amani's management API (docs/amani-protocol.md), real HTTP
 * with Node's built-in fetch.
 *
 * Authentication: `POST /api/v2/user/login` with the username/password of the credentials secret
 * (the `access` of the answer is the bearer token, cached in the client), or a stored `userToken`
 * used as it is. A 401 from a call made with a cached login logs in again once and repeats that
 * call; a 401 right after a fresh login, or with a stored `userToken`, is an
 * `AmaniApiError` of kind `credentials`. The refresh endpoint is not used: logging in again needs
 * nothing more than the stored password and one request.
 *
 * Retries (jittered backoff within a budget, `retryWithinBudget`):
 * - safe calls (GET, login, and PUT /webhook, which sets the same state when repeated) are
 *   retried on network errors, timeouts, 429 (waiting at least a small `Retry-After`, capped),
 *   5xx, and a 2xx whose body is not JSON (a truncated answer or an HTML page from a proxy looks
 *   transient; after the attempts or the budget it is an `invalid-response` error). A body that
 *   is JSON but not in the documented shape is an `invalid-response` error at once: a contract
 *   change does not heal by asking again.
 * - PATCH /webhook/token (rotation) is never repeated blindly: a repeat would rotate twice. A
 *   definitive refusal (4xx) means it did not happen and is thrown (a 401 with a cached login is
 *   repeated once after logging in again, since a 401 proves it was not executed). A timeout,
 *   connection failure, 408, 5xx or an unreadable 2xx body is `ambiguous`: the caller must ask
 *   `GET /api/v2/webhook/token` what is true.
 *
 * Redirects are not followed (a 3xx is an `http` error): following one could hand the bearer
 * token to another host.
 *
 * Error messages name the endpoint and the status or failure kind; never a token, a password,
 * an access token or a response body (bodies may echo any of them).
 */
/** The ports this client implements, for its callers. */
export type { AmaniApi, AmaniCredentials, WebhookRegistration } from '../core/ports';

export type AmaniApiErrorKind = 'credentials' | 'http' | 'timeout' | 'network' | 'invalid-response';

/** A failed call to Amani; the message names the endpoint and the status or failure kind only. */
export class AmaniApiError extends SafeError {
  readonly endpoint: string;
  readonly status?: number;
  readonly kind: AmaniApiErrorKind;

  constructor(endpoint: string, kind: AmaniApiErrorKind, detail: string, status?: number) {
    super(`Amani ${endpoint} failed: ${detail}`, { failure: failureOf(kind, status) });
    this.name = 'AmaniApiError';
    this.endpoint = endpoint;
    this.kind = kind;
    if (status !== undefined) this.status = status;
  }
}

function failureOf(kind: AmaniApiErrorKind, status: number | undefined): FailureClass {
  if (kind === 'timeout' || kind === 'network') return 'transient';
  if (kind === 'credentials') return 'client';
  if (kind === 'invalid-response' || status === undefined) return 'unknown';
  if (status === 429) return 'throttled';
  return status >= 500 || status === 408 ? 'transient' : 'client';
}

export interface AmaniClientOptions {
  /** e.g. `https://eu.amani.ai`; https, or http for a loopback host only (local runs and tests). */
  baseUrl: string;
  credentials: AmaniCredentials;
  /** Per HTTP exchange, body included. Default 5000. */
  timeoutMs?: number;
  /** Attempts of a safe call (and of login). Default 4. */
  maxAttempts?: number;
  /** Total time a safe call may spend on attempts and waits. Default: 3 x timeoutMs. */
  retryBudgetMs?: number;
  /** Backoff between attempts (full jitter). Default 200 ms base, 2000 ms cap. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** The longest `Retry-After` honoured; a longer one ends the retries. Default 5000. */
  maxRetryAfterMs?: number;
  fetch?: typeof fetch;
  retryEnvironment?: RetryEnvironment;
}

const PATHS = {
  login: '/api/v2/user/login',
  events: '/api/v2/webhook/events',
  webhook: '/api/v2/webhook',
  token: '/api/v2/webhook/token',
} as const;

const loginAnswer = z.object({ access: z.string().min(1) });
const tokenAnswer = z.object({ token: z.string().min(1) });
const eventsAnswer = z.array(z.string().min(1));
const registrationAnswer = z.record(z.string(), z.unknown());

interface Exchange {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** One decoded answer of a safe call, or the signal that the bearer token was refused. */
type SafeOutcome<T> = { readonly kind: 'value'; readonly value: T } | { readonly kind: 'unauthorized' };

interface Bearer {
  readonly token: string;
  /** Obtained for this call (fresh login, or a fixed userToken): a 401 is then final. */
  readonly final: boolean;
}

export function createAmaniClient(options: AmaniClientOptions): AmaniApi {
  return new HttpAmaniClient(options);
}

class HttpAmaniClient implements AmaniApi {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBudgetMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly env: RetryEnvironment;
  private readonly credentials: AmaniCredentials;
  private access: string | undefined;
  private loginInFlight: Promise<string> | undefined;

  constructor(options: AmaniClientOptions) {
    const problem = amaniBaseUrlProblem(options.baseUrl);
    if (problem) throw new SafeError(`Invalid Amani base URL: ${problem}`, { failure: 'client' });
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.credentials = options.credentials;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.retryBudgetMs = options.retryBudgetMs ?? 3 * this.timeoutMs;
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 2000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 5000;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.env = options.retryEnvironment ?? realRetryEnvironment;
  }

  listEvents(): Promise<string[]> {
    return this.safeCall('GET', PATHS.events, eventsAnswer);
  }

  async registerWebhook(registration: WebhookRegistration): Promise<Record<string, unknown>> {
    const body: Record<string, unknown> = { url: registration.url, signature_enabled: registration.signatureEnabled };
    for (const [event, enabled] of Object.entries(registration.events)) {
      if (event === 'url' || event === 'signature_enabled') throw new SafeError(`"${event}" is not an event name`, { failure: 'client' });
      body[event] = enabled;
    }
    return this.safeCall('PUT', PATHS.webhook, registrationAnswer, JSON.stringify(body));
  }

  async getWebhookToken(): Promise<string> {
    return (await this.safeCall('GET', PATHS.token, tokenAnswer)).token;
  }

  async rotateWebhookToken(): Promise<TokenRotationResult> {
    const endpoint = `PATCH ${PATHS.token}`;
    let bearer = await this.bearer();
    let outcome = await this.patchOnce(bearer.token);
    if (outcome === 'unauthorized' && !bearer.final) {
      // A 401 proves the PATCH was not executed: log in again and make the one real attempt.
      this.forget(bearer.token);
      bearer = await this.bearer();
      outcome = await this.patchOnce(bearer.token);
    }
    if (outcome === 'unauthorized') throw this.credentialsError(endpoint);
    return outcome;
  }

  private async patchOnce(bearer: string): Promise<TokenRotationResult | 'unauthorized'> {
    const endpoint = `PATCH ${PATHS.token}`;
    let exchange: Exchange;
    try {
      exchange = await this.exchange('PATCH', PATHS.token, { bearer, timeoutMs: this.timeoutMs });
    } catch (error) {
      const failure = asAmaniError(error, endpoint);
      return { outcome: 'ambiguous', cause: failure.message };
    }
    const { status } = exchange;
    if (status === 401) return 'unauthorized';
    if (status === 408 || status >= 500) return { outcome: 'ambiguous', cause: `Amani ${endpoint} answered HTTP ${status}` };
    if (status < 200 || status >= 300) throw httpError(endpoint, status);
    const parsed = decode(exchange.text, tokenAnswer, endpoint, status);
    if (!parsed.ok) return { outcome: 'ambiguous', cause: parsed.error.message };
    return { outcome: 'rotated', token: parsed.value.token };
  }

  /** A retried, authenticated call whose repetition is harmless. */
  private async safeCall<T>(method: 'GET' | 'PUT', path: string, schema: z.ZodType<T>, body?: string): Promise<T> {
    const endpoint = `${method} ${path}`;
    let bearer = await this.bearer();
    let outcome = await this.retried(
      endpoint,
      (timeoutMs) => this.exchange(method, path, { bearer: bearer.token, body, timeoutMs }),
      schema,
      true,
    );
    if (outcome.kind === 'unauthorized' && !bearer.final) {
      this.forget(bearer.token);
      bearer = await this.bearer();
      outcome = await this.retried(
        endpoint,
        (timeoutMs) => this.exchange(method, path, { bearer: bearer.token, body, timeoutMs }),
        schema,
        true,
      );
    }
    if (outcome.kind === 'unauthorized') throw this.credentialsError(endpoint);
    return outcome.value;
  }

  private async bearer(): Promise<Bearer> {
    if ('userToken' in this.credentials) return { token: this.credentials.userToken, final: true };
    if (this.access !== undefined) return { token: this.access, final: false };
    // Concurrent calls share one login.
    this.loginInFlight ??= this.login().finally(() => {
      this.loginInFlight = undefined;
    });
    return { token: await this.loginInFlight, final: true };
  }

  private forget(token: string): void {
    if (this.access === token) this.access = undefined;
  }

  private async login(): Promise<string> {
    const credentials = this.credentials as { username: string; password: string };
    const endpoint = `POST ${PATHS.login}`;
    const body = JSON.stringify({ username: credentials.username, password: credentials.password });
    const outcome = await this.retried(
      endpoint,
      (timeoutMs) => this.exchange('POST', PATHS.login, { body, timeoutMs }),
      loginAnswer,
      false,
    );
    if (outcome.kind === 'unauthorized') {
      throw new AmaniApiError(endpoint, 'credentials', 'HTTP 401: Amani rejected the username/password of the credentials secret', 401);
    }
    this.access = outcome.value.access;
    return outcome.value.access;
  }

  /**
   * Runs one exchange per attempt within the retry budget. A 401 (and, for login, a 400 or 403:
   * the answer to wrong credentials) ends the loop as `unauthorized`; the caller decides.
   */
  private async retried<T>(
    endpoint: string,
    send: (timeoutMs: number) => Promise<Exchange>,
    schema: z.ZodType<T>,
    authenticated: boolean,
  ): Promise<SafeOutcome<T>> {
    const result = await retryWithinBudget<SafeOutcome<T>>(
      {
        budgetMs: this.retryBudgetMs,
        maxAttempts: this.maxAttempts,
        baseDelayMs: this.baseDelayMs,
        maxDelayMs: this.maxDelayMs,
        attempt: async (_, remainingMs): Promise<AttemptOutcome<SafeOutcome<T>>> => {
          let exchange: Exchange;
          try {
            exchange = await send(Math.max(1, Math.min(this.timeoutMs, remainingMs)));
          } catch (error) {
            return { done: false, retryable: true, error: asAmaniError(error, endpoint) };
          }
          const { status } = exchange;
          if (status === 401 || (!authenticated && (status === 400 || status === 403))) {
            if (!authenticated && status !== 401) {
              return {
                done: false,
                retryable: false,
                error: new AmaniApiError(
                  endpoint,
                  'credentials',
                  `HTTP ${status}: Amani rejected the username/password of the credentials secret`,
                  status,
                ),
              };
            }
            return { done: true, value: { kind: 'unauthorized' } };
          }
          if (status === 403) {
            return {
              done: false,
              retryable: false,
              error: new AmaniApiError(endpoint, 'credentials', 'HTTP 403: the Amani user is not allowed to do this', status),
            };
          }
          if (status === 429) return this.rateLimited(endpoint, exchange, remainingMs);
          if (status >= 500 || status === 408) return { done: false, retryable: true, error: httpError(endpoint, status) };
          if (status < 200 || status >= 300) return { done: false, retryable: false, error: httpError(endpoint, status) };
          const parsed = decode(exchange.text, schema, endpoint, status);
          if (parsed.ok) return { done: true, value: { kind: 'value', value: parsed.value } };
          return { done: false, retryable: parsed.retryable, error: parsed.error };
        },
      },
      this.env,
    );
    if (result.ok) return result.value;
    throw result.error instanceof AmaniApiError ? result.error : new AmaniApiError(endpoint, 'network', 'unexpected failure');
  }

  /** Waits at least a (capped) `Retry-After` before the next attempt, or gives up if it is longer. */
  private async rateLimited<T>(endpoint: string, exchange: Exchange, remainingMs: number): Promise<AttemptOutcome<T>> {
    const error = httpError(endpoint, 429);
    const waitMs = retryAfterMs(exchange.headers.get('retry-after'), this.env.now());
    if (waitMs === undefined || waitMs === 0) return { done: false, retryable: true, error };
    if (waitMs > this.maxRetryAfterMs || waitMs >= remainingMs) {
      return {
        done: false,
        retryable: false,
        error: new AmaniApiError(endpoint, 'http', `HTTP 429 with Retry-After ${Math.ceil(waitMs / 1000)} s, longer than allowed`, 429),
      };
    }
    await this.env.sleep(waitMs);
    return { done: false, retryable: true, error };
  }

  private credentialsError(endpoint: string): AmaniApiError {
    const detail =
      'userToken' in this.credentials
        ? 'HTTP 401: Amani rejected the userToken of the credentials secret'
        : 'HTTP 401 right after a successful login: the Amani user may lack API access';
    return new AmaniApiError(endpoint, 'credentials', detail, 401);
  }

  private async exchange(
    method: string,
    path: string,
    request: { bearer?: string; body?: string | undefined; timeoutMs: number },
  ): Promise<Exchange> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (request.bearer !== undefined) headers.Authorization = `Bearer ${request.bearer}`;
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    // One signal bounds the whole exchange, the body included.
    const signal = AbortSignal.timeout(request.timeoutMs);
    try {
      const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        signal,
        redirect: 'manual',
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (error) {
      if (isTimeout(error)) throw new AmaniApiError(`${method} ${path}`, 'timeout', `no answer within ${request.timeoutMs} ms`);
      throw new AmaniApiError(`${method} ${path}`, 'network', `network error${networkCode(error)}`);
    }
  }
}

type Decoded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly retryable: boolean; readonly error: AmaniApiError };

function decode<T>(text: string, schema: z.ZodType<T>, endpoint: string, status: number): Decoded<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {
      ok: false,
      retryable: true,
      error: new AmaniApiError(endpoint, 'invalid-response', `HTTP ${status} with a body that is not JSON`, status),
    };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  // Paths and expectations only: zod issues do not carry the offending values.
  const where = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.code}`)
    .join('; ');
  return {
    ok: false,
    retryable: false,
    error: new AmaniApiError(endpoint, 'invalid-response', `HTTP ${status} with an unexpected body (${where})`, status),
  };
}

function httpError(endpoint: string, status: number): AmaniApiError {
  return new AmaniApiError(endpoint, 'http', `HTTP ${status}`, status);
}

function asAmaniError(error: unknown, endpoint: string): AmaniApiError {
  return error instanceof AmaniApiError ? error : new AmaniApiError(endpoint, 'network', 'unexpected failure');
}

/** By name: fetch rejects with a DOMException, which is not `instanceof Error` across realms (jest's vm). */
function isTimeout(error: unknown): boolean {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return name === 'TimeoutError' || name === 'AbortError';
}

/** A system error code such as ECONNRESET or UND_ERR_SOCKET, never a message. */
function networkCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = cause && typeof cause.code === 'string' && /^[A-Z0-9_]{2,40}$/.test(cause.code) ? cause.code : undefined;
  return code ? ` (${code})` : '';
}

/** `Retry-After` as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}
