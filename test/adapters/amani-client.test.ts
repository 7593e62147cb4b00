import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AmaniApiError, createAmaniClient, retryAfterMs, type AmaniApi, type AmaniClientOptions } from '../../lambda/adapters/amani-client';
import { amaniBaseUrlProblem } from '../../lambda/core/validators';
import type { RetryEnvironment } from '../../lambda/core/retry';
import { AMANI_EVENTS, startAmaniSimulator, type AmaniSimulator } from '../../local/amani-simulator';

const USER = { username: 'rotator@example.com', password: 'pa55-word-sentinel' };
const INITIAL_TOKEN = 'initial-webhook-token-sentinel';

let sim: AmaniSimulator;
let sleeps: number[];
let errors: unknown[];

/** Retries without waiting; waits that were asked for are recorded. */
function fastRetries(): RetryEnvironment {
  return {
    now: () => Date.now(),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  };
}

function client(overrides: Partial<AmaniClientOptions> = {}): AmaniApi {
  return createAmaniClient({ baseUrl: sim.url, credentials: USER, timeoutMs: 300, retryEnvironment: fastRetries(), ...overrides });
}

/** Awaits a rejection, keeping the error for the leak check. */
async function failure(promise: Promise<unknown>): Promise<AmaniApiError> {
  try {
    await promise;
  } catch (error) {
    errors.push(error);
    expect(error).toBeInstanceOf(AmaniApiError);
    return error as AmaniApiError;
  }
  throw new Error('expected a rejection');
}

beforeEach(async () => {
  sim = await startAmaniSimulator({ users: [USER], userTokens: ['static-user-token-sentinel'], initialToken: INITIAL_TOKEN });
  sleeps = [];
  errors = [];
});

afterEach(async () => {
  try {
    // No error message may carry anything secret the simulator ever knew.
    const secrets = sim.sensitiveValues();
    expect(secrets).toContain(USER.password);
    for (const error of errors) {
      const text = `${(error as Error).message} ${JSON.stringify(error)}`;
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  } finally {
    await sim.close();
  }
});

const routes = () => sim.requests.map((request) => `${request.method} ${request.path} ${request.status ?? '-'}`);

describe('authentication', () => {
  it('logs in once and reuses the access token', async () => {
    const amani = client();
    expect(await amani.getWebhookToken()).toBe(INITIAL_TOKEN);
    expect(await amani.listEvents()).toEqual([...AMANI_EVENTS]);
    expect(routes()).toEqual(['POST /api/v2/user/login 200', 'GET /api/v2/webhook/token 200', 'GET /api/v2/webhook/events 200']);
    expect(sim.requests.map((request) => request.authorization)).toEqual([false, true, true]);
  });

  it('shares one login among concurrent calls', async () => {
    const amani = client();
    await Promise.all([amani.getWebhookToken(), amani.getWebhookToken(), amani.listEvents()]);
    expect(sim.requestsTo('login')).toHaveLength(1);
  });

  it('logs in again once when the cached access token has expired', async () => {
    const amani = client();
    await amani.getWebhookToken();
    sim.expireAccessTokens();
    expect(await amani.getWebhookToken()).toBe(INITIAL_TOKEN);
    expect(routes()).toEqual([
      'POST /api/v2/user/login 200',
      'GET /api/v2/webhook/token 200',
      'GET /api/v2/webhook/token 401',
      'POST /api/v2/user/login 200',
      'GET /api/v2/webhook/token 200',
    ]);
  });

  it('uses a stored userToken as the bearer token, without logging in', async () => {
    const amani = client({ credentials: { userToken: 'static-user-token-sentinel' } });
    expect(await amani.getWebhookToken()).toBe(INITIAL_TOKEN);
    expect(sim.requestsTo('login')).toHaveLength(0);
  });

  it('reports a refused userToken as a credentials error at once', async () => {
    const error = await failure(client({ credentials: { userToken: 'wrong-user-token-sentinel' } }).getWebhookToken());
    expect(error).toMatchObject({ kind: 'credentials', status: 401, endpoint: 'GET /api/v2/webhook/token' });
    expect(error.message).toMatch(/userToken/);
    expect(sim.requests).toHaveLength(1);
  });

  it('reports a 401 on login as a credentials error, without retrying', async () => {
    const error = await failure(
      client({ credentials: { username: USER.username, password: 'wrong-password-sentinel' } }).getWebhookToken(),
    );
    expect(error).toMatchObject({ kind: 'credentials', status: 401, endpoint: 'POST /api/v2/user/login' });
    expect(error.message).toBe(
      'Amani POST /api/v2/user/login failed: HTTP 401: Amani rejected the username/password of the credentials secret',
    );
    expect(routes()).toEqual(['POST /api/v2/user/login 401']);
  });

  it('reports an injected 401 on login the same way', async () => {
    sim.injectFault('login', { kind: 'fail-before', status: 401 });
    expect(await failure(client().getWebhookToken())).toMatchObject({ kind: 'credentials', status: 401 });
  });

  // Amani answers wrong credentials on login with 400 or 403 as well as 401: neither is retried.
  it.each([400, 403])('reports a %i on login as a credentials error, without retrying or calling on', async (status) => {
    sim.injectFault('login', { kind: 'fail-before', status }, { times: Infinity });
    const error = await failure(client().getWebhookToken());
    expect(error).toMatchObject({ kind: 'credentials', status, endpoint: 'POST /api/v2/user/login', failure: 'client' });
    expect(error.message).toBe(
      `Amani POST /api/v2/user/login failed: HTTP ${status}: Amani rejected the username/password of the credentials secret`,
    );
    expect(routes()).toEqual([`POST /api/v2/user/login ${status}`]);
  });

  it('reports a 403 on an authenticated call as a permission error, without retrying or logging in again', async () => {
    sim.injectFault('getToken', { kind: 'fail-before', status: 403 }, { times: Infinity });
    const error = await failure(client().getWebhookToken());
    expect(error).toMatchObject({ kind: 'credentials', status: 403, endpoint: 'GET /api/v2/webhook/token', failure: 'client' });
    expect(error.message).toBe('Amani GET /api/v2/webhook/token failed: HTTP 403: the Amani user is not allowed to do this');
    expect(routes()).toEqual(['POST /api/v2/user/login 200', 'GET /api/v2/webhook/token 403']);
  });

  it('reports a 401 right after a fresh login as a credentials error (no login loop)', async () => {
    sim.injectFault('getToken', { kind: 'fail-before', status: 401 }, { times: Infinity });
    const error = await failure(client().getWebhookToken());
    expect(error).toMatchObject({ kind: 'credentials', status: 401 });
    expect(error.message).toMatch(/right after a successful login/);
    expect(sim.requestsTo('login')).toHaveLength(1);
    expect(sim.requestsTo('getToken')).toHaveLength(1);
  });

  it('retries the login itself on 5xx and connection resets', async () => {
    sim.injectFault('login', { kind: 'fail-before', status: 503 });
    sim.injectFault('login', { kind: 'reset', when: 'before' });
    expect(await client().getWebhookToken()).toBe(INITIAL_TOKEN);
    expect(sim.requestsTo('login').map((request) => request.status)).toEqual([503, undefined, 200]);
  });
});

describe('safe calls are retried with backoff', () => {
  it.each([
    ['a 500', { kind: 'fail-before', status: 500 }],
    ['a 503', { kind: 'fail-before', status: 503 }],
    ['a connection reset', { kind: 'reset', when: 'before' }],
    ['a 200 whose body is not JSON', { kind: 'malformed-json' }],
  ] as const)('GET token after %s', async (_, fault) => {
    sim.injectFault('getToken', fault, { times: 2 });
    expect(await client().getWebhookToken()).toBe(INITIAL_TOKEN);
    expect(sim.requestsTo('getToken')).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it('waits at least the Retry-After of a 429', async () => {
    sim.injectFault('getToken', { kind: 'fail-before', status: 429, retryAfter: '1' });
    expect(await client({ retryBudgetMs: 5000 }).getWebhookToken()).toBe(INITIAL_TOKEN);
    expect(sleeps[0]).toBe(1000);
    expect(sim.requestsTo('getToken').map((request) => request.status)).toEqual([429, 200]);
  });

  it('gives up on a Retry-After that does not fit in the retry budget', async () => {
    sim.injectFault('getToken', { kind: 'fail-before', status: 429, retryAfter: '1' });
    const error = await failure(client({ retryBudgetMs: 900 }).getWebhookToken());
    expect(error).toMatchObject({ kind: 'http', status: 429 });
    expect(sleeps).toEqual([]);
  });

  it('gives up at once on a Retry-After longer than allowed', async () => {
    sim.injectFault('getToken', { kind: 'fail-before', status: 429, retryAfter: '120' });
    const error = await failure(client().getWebhookToken());
    expect(error).toMatchObject({ kind: 'http', status: 429 });
    expect(sim.requestsTo('getToken')).toHaveLength(1);
  });

  it('retries a call that times out, bounding every exchange', async () => {
    sim.injectFault('getToken', { kind: 'hang-after', delayMs: 2000 });
    const started = Date.now();
    const errorsSeen: string[] = [];
    const observingFetch: typeof fetch = (input, init) =>
      fetch(input, init).catch((error: unknown) => {
        errorsSeen.push((error as Error).name);
        throw error;
      });
    expect(await client({ timeoutMs: 200, fetch: observingFetch }).getWebhookToken()).toBe(INITIAL_TOKEN);
    expect(errorsSeen).toEqual(['TimeoutError']);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(sim.requestsTo('getToken')).toHaveLength(2);
  });

  it('ends with a timeout error after the attempts', async () => {
    sim.injectFault('listEvents', { kind: 'hang-after', delayMs: 2000 }, { times: Infinity });
    const error = await failure(client({ timeoutMs: 100, maxAttempts: 3, retryBudgetMs: 2000 }).listEvents());
    expect(error).toMatchObject({ kind: 'timeout', endpoint: 'GET /api/v2/webhook/events' });
    expect(error.message).toBe('Amani GET /api/v2/webhook/events failed: no answer within 100 ms');
    expect(sim.requestsTo('listEvents')).toHaveLength(3);
  });

  it('ends with an invalid-response error when the body stays malformed', async () => {
    sim.injectFault('getToken', { kind: 'malformed-json' }, { times: Infinity });
    const error = await failure(client({ maxAttempts: 3 }).getWebhookToken());
    expect(error).toMatchObject({ kind: 'invalid-response', status: 200 });
    expect(error.message).toMatch(/not JSON/);
    expect(sim.requestsTo('getToken')).toHaveLength(3);
  });

  it('does not retry JSON in an unexpected shape, and names the field but not its value', async () => {
    sim.injectFault('getToken', { kind: 'respond', status: 200, body: '{"token": 12345, "other": "x"}' });
    const error = await failure(client().getWebhookToken());
    expect(error).toMatchObject({ kind: 'invalid-response', status: 200 });
    expect(error.message).toContain('token');
    expect(error.message).not.toContain('12345');
    expect(sim.requestsTo('getToken')).toHaveLength(1);
  });

  it('does not retry a definitive 4xx', async () => {
    sim.injectFault('getToken', { kind: 'fail-before', status: 404 });
    expect(await failure(client().getWebhookToken())).toMatchObject({ kind: 'http', status: 404 });
    expect(sim.requestsTo('getToken')).toHaveLength(1);
  });

  it('reports an unreachable Amani as a network error', async () => {
    const url = sim.url;
    await sim.close();
    const error = await failure(
      createAmaniClient({
        baseUrl: url,
        credentials: USER,
        timeoutMs: 300,
        maxAttempts: 2,
        retryEnvironment: fastRetries(),
      }).getWebhookToken(),
    );
    expect(error).toMatchObject({ kind: 'network', endpoint: 'POST /api/v2/user/login' });
    sim = await startAmaniSimulator({ users: [USER] });
  });
});

describe('PATCH (rotation) is never repeated blindly', () => {
  it('returns the new token', async () => {
    const result = await client().rotateWebhookToken();
    expect(result).toEqual({ outcome: 'rotated', token: sim.currentToken() });
    expect(sim.currentToken()).not.toBe(INITIAL_TOKEN);
  });

  it.each([
    ['a 500 before rotating', { kind: 'fail-before', status: 500 }, false],
    ['a 500 after rotating', { kind: 'fail-after', status: 500 }, true],
    ['a 502 after rotating', { kind: 'fail-after', status: 502 }, true],
    ['a connection reset before rotating', { kind: 'reset', when: 'before' }, false],
    ['a connection reset after rotating', { kind: 'reset', when: 'after' }, true],
    ['a hang past the timeout after rotating', { kind: 'hang-after', delayMs: 2000 }, true],
    ['malformed JSON after rotating', { kind: 'malformed-json' }, true],
  ] as const)('reports %s as ambiguous after one attempt', async (_, fault, rotated) => {
    sim.injectFault('rotateToken', fault);
    const amani = client();
    await amani.getWebhookToken();
    const result = await amani.rotateWebhookToken();
    expect(result.outcome).toBe('ambiguous');
    if (result.outcome === 'ambiguous') {
      expect(result.cause).toMatch(/^Amani PATCH \/api\/v2\/webhook\/token /);
      for (const secret of sim.sensitiveValues()) expect(result.cause).not.toContain(secret);
    }
    expect(sim.requestsTo('rotateToken')).toHaveLength(1);
    expect(sim.currentToken() !== INITIAL_TOKEN).toBe(rotated);
  });

  it('logs in again and makes the one real attempt after a 401 with a cached login', async () => {
    const amani = client();
    await amani.getWebhookToken();
    sim.expireAccessTokens();
    const result = await amani.rotateWebhookToken();
    expect(result).toEqual({ outcome: 'rotated', token: sim.currentToken() });
    expect(sim.tokenHistory()).toHaveLength(2);
    expect(sim.requestsTo('rotateToken').map((request) => request.status)).toEqual([401, 200]);
  });

  it('throws a credentials error for a 401 right after a fresh login', async () => {
    sim.injectFault('rotateToken', { kind: 'fail-before', status: 401 }, { times: Infinity });
    expect(await failure(client().rotateWebhookToken())).toMatchObject({ kind: 'credentials', status: 401 });
    expect(sim.requestsTo('rotateToken')).toHaveLength(1);
    expect(sim.currentToken()).toBe(INITIAL_TOKEN);
  });

  it.each([403, 404, 429])('throws a definitive %i without retrying', async (status) => {
    sim.injectFault('rotateToken', { kind: 'fail-before', status });
    const error = await failure(client().rotateWebhookToken());
    expect(error.status).toBe(status);
    expect(sim.requestsTo('rotateToken')).toHaveLength(1);
    expect(sim.currentToken()).toBe(INITIAL_TOKEN);
  });
});

describe('registration', () => {
  it('PUTs url, signature_enabled and one boolean per event', async () => {
    const bodies: unknown[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      if (init?.method === 'PUT') bodies.push(JSON.parse(String(init.body)));
      return fetch(input, init);
    };
    const events = Object.fromEntries(AMANI_EVENTS.map((event, index) => [event, index % 2 === 0]));
    const answer = await client({ fetch: recordingFetch }).registerWebhook({
      url: 'https://hooks.example.com/amani',
      signatureEnabled: true,
      events,
    });
    expect(bodies).toEqual([{ url: 'https://hooks.example.com/amani', signature_enabled: true, ...events }]);
    expect(Object.keys(bodies[0] as object)).toEqual(['url', 'signature_enabled', ...AMANI_EVENTS]);
    expect(answer).toMatchObject({
      url: 'https://hooks.example.com/amani',
      signature_enabled: true,
      profile_create: true,
      profile_update: false,
    });
    expect(sim.registration()).toMatchObject({ url: 'https://hooks.example.com/amani', signature_enabled: true, events });
  });

  it('refuses "url" or "signature_enabled" as event names', async () => {
    await expect(client().registerWebhook({ url: 'https://x.example', signatureEnabled: false, events: { url: true } })).rejects.toThrow(
      /not an event name/,
    );
    expect(sim.requests).toHaveLength(0);
  });

  it('reports a 400 from Amani as an http error', async () => {
    const error = await failure(
      client().registerWebhook({ url: 'https://x.example', signatureEnabled: true, events: { no_such_event: true } }),
    );
    expect(error).toMatchObject({ kind: 'http', status: 400, endpoint: 'PUT /api/v2/webhook' });
  });
});

describe('base URL', () => {
  it.each(['https://eu.amani.ai', 'https://tr.amani.ai/', 'http://127.0.0.1:8080', 'http://localhost:1234', 'http://[::1]:9000'])(
    'accepts %s',
    (url) => {
      expect(amaniBaseUrlProblem(url)).toBeUndefined();
    },
  );

  it.each([
    'http://eu.amani.ai',
    'ftp://eu.amani.ai',
    'eu.amani.ai',
    'https://user:pw@eu.amani.ai',
    'https://eu.amani.ai/?x=1',
    'http://127.0.0.2',
  ])('refuses %s', (url) => {
    expect(amaniBaseUrlProblem(url)).toEqual(expect.any(String));
    expect(() => createAmaniClient({ baseUrl: url, credentials: USER })).toThrow(/Invalid Amani base URL/);
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
    expect(retryAfterMs(null, 0)).toBeUndefined();
  });
});
