import { afterEach, describe, expect, it } from '@jest/globals';
import type { TokenSecret } from '../../lambda/core/token-secret';
import { expectReceiverHonours, receiverStatus } from './receiver-check';
import { serverError } from './fake-secrets-manager';
import {
  assertNothingLeaked,
  CREDENTIALS_SECRET_ID,
  daysAgo,
  HOUR_MS,
  IN_SYNC,
  INITIAL_TOKEN,
  rotatorHarness,
  TOKEN_SECRET_ID,
  type RotatorHarness,
  type RotatorHarnessOptions,
} from './rotator-harness';

/** Secrets Manager models no AccessDeniedException class: the SDK surfaces it by name. */
const accessDenied = () =>
  Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });

let h: RotatorHarness;
async function start(options: RotatorHarnessOptions = {}) {
  h = await rotatorHarness(options);
  return h;
}

afterEach(async () => {
  try {
    // Whatever happened, no token, password or access token was printed or thrown.
    assertNothingLeaked(h);
  } finally {
    await h.dispose();
  }
});

const patches = () => h.sim.requestsTo('rotateToken').length;
const runLine = () => h.logs('token rotation run succeeded').at(-1);
const failLine = () => h.logs('token rotation run failed').at(-1);
const within = (iso: string | undefined, expectedMs: number, toleranceMs = 5000) =>
  expect(Math.abs(Date.parse(iso ?? '') - expectedMs)).toBeLessThan(toleranceMs);

/** The invariant after a successful run: the secret holds Amani's current token. */
function expectInvariant(): TokenSecret {
  const secret = h.secret();
  expect(secret.token).toBe(h.sim.currentToken());
  return secret;
}

describe('bootstrap', () => {
  it.each([
    ['a secret without any value', null],
    ['a secret without token', {}],
  ] as const)('stores Amani current token for %s, without rotating', async (_, secret) => {
    await start({ secret });
    const summary = await h.invoke({});
    expect(summary).toEqual({ action: 'rotate', outcome: 'bootstrapped', reconciled: false, rotatedAt: expect.any(String) });
    expect(expectInvariant()).toEqual({ token: INITIAL_TOKEN, rotatedAt: summary.rotatedAt });
    expect(patches()).toBe(0);
    expect(h.output.metric('Bootstrapped')).toBe(1);
    expect(h.output.metric('RotationSucceeded')).toBe(1);
    expect(h.output.metric('TokenAgeHours')).toBe(0);
    expect(runLine()).toMatchObject({ outcome: 'bootstrapped', rotatedAt: summary.rotatedAt });
  });
});

describe('rotation', () => {
  it.each([
    ['a scheduled invocation (EventBridge Scheduler payload)', { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} }],
    ['an empty payload', {}],
    ['no payload', null],
    ['{"action":"rotate"}', { action: 'rotate' }],
  ])('rotates on %s: new token stored at once, the old one kept for the grace window', async (_, payload) => {
    await start();
    const before = Date.now();
    const summary = await h.invoke(payload);
    const secret = expectInvariant();
    expect(summary).toEqual({
      action: 'rotate',
      outcome: 'rotated',
      reconciled: false,
      rotatedAt: secret.rotatedAt,
      previousTokenValidUntil: secret.previousTokenValidUntil,
    });
    expect(secret.token).not.toBe(INITIAL_TOKEN);
    expect(secret.previousToken).toBe(INITIAL_TOKEN);
    within(secret.rotatedAt, before);
    within(secret.previousTokenValidUntil, Date.parse(secret.rotatedAt!) + HOUR_MS, 1);
    expect(patches()).toBe(1);
    // One logical write, one version; confirmed by GET and a re-read.
    expect(h.tokenWrites()).toEqual([{ secretId: TOKEN_SECRET_ID, clientRequestToken: h.idempotencyKeys[0], outcome: 'created' }]);
    expect(h.sim.requests.map((request) => `${request.method} ${request.route}`)).toEqual([
      'POST login',
      'GET getToken',
      'PATCH rotateToken',
      'GET getToken',
    ]);
    expect(h.output.metric('TokenRotated')).toBe(1);
    expect(h.output.metric('RotationSucceeded')).toBe(1);
    expect(h.output.metric('RotationFailed')).toBe(0);
    expect(h.output.metric('TokenAgeHours')).toBe(0);
    expect(runLine()).toMatchObject({
      outcome: 'rotated',
      rotatedAt: secret.rotatedAt,
      previousTokenValidUntil: secret.previousTokenValidUntil,
      reconciled: false,
    });
    await expectReceiverHonours(secret, h.sim.currentToken()!, h.sim.tokenHistory());
  });

  it('skips a rotation younger than the minimum age (duplicate scheduler invocation)', async () => {
    const rotatedAt = new Date(Date.now() - 10 * 60_000).toISOString();
    await start({ secret: { token: INITIAL_TOKEN, rotatedAt } });
    const summary = await h.invoke({});
    expect(summary).toEqual({ action: 'rotate', outcome: 'skipped', reconciled: false, rotatedAt });
    expect(patches()).toBe(0);
    expect(h.tokenWrites()).toHaveLength(0);
    expect(h.output.metric('RotationSkipped')).toBe(1);
    expect(h.output.metric('RotationSucceeded')).toBe(1);
    expect(h.output.metric('TokenAgeHours')).toBeCloseTo(0.17, 1);
  });

  it('two scheduled invocations back to back rotate once', async () => {
    await start();
    expect((await h.invoke({})).outcome).toBe('rotated');
    expect((await h.invoke({})).outcome).toBe('skipped');
    expect(patches()).toBe(1);
    expectInvariant();
  });

  it('rotates a young token when forced', async () => {
    await start({ secret: { token: INITIAL_TOKEN, rotatedAt: new Date(Date.now() - 60_000).toISOString() } });
    expect((await h.invoke({ action: 'rotate', force: true })).outcome).toBe('rotated');
    expect(expectInvariant().previousToken).toBe(INITIAL_TOKEN);
  });

  it('rotates without any previous token on revokePrevious (implies force): the old token stops working at once', async () => {
    await start({ secret: { token: INITIAL_TOKEN, rotatedAt: new Date().toISOString() } });
    const summary = await h.invoke({ action: 'rotate', revokePrevious: true });
    expect(summary).toEqual({ action: 'rotate', outcome: 'rotated', reconciled: false, rotatedAt: expect.any(String) });
    const secret = expectInvariant();
    expect(secret).toEqual({ token: h.sim.currentToken(), rotatedAt: summary.rotatedAt });
    expect(await receiverStatus(secret, h.sim.currentToken()!)).toBe(200);
    expect(await receiverStatus(secret, INITIAL_TOKEN)).toBe(401);
  });

  it('drops an earlier previous token that is still in its grace window on revokePrevious', async () => {
    await start({
      secret: {
        token: INITIAL_TOKEN,
        previousToken: 'earlier-token-in-grace',
        previousTokenValidUntil: new Date(Date.now() + HOUR_MS).toISOString(),
        rotatedAt: daysAgo(1),
      },
    });
    await h.invoke({ action: 'rotate', revokePrevious: true });
    expect(expectInvariant().previousToken).toBeUndefined();
  });

  it('keeps no previous token when the grace is 0 minutes', async () => {
    await start({ config: { previousTokenGraceMs: 0 } });
    const summary = await h.invoke({});
    expect(summary.outcome).toBe('rotated');
    expect(expectInvariant().previousToken).toBeUndefined();
  });
});

describe('sync and reconciliation', () => {
  it('sync changes nothing when the secret agrees with Amani', async () => {
    await start();
    expect(await h.invoke({ action: 'sync' })).toEqual({
      action: 'sync',
      outcome: 'in-sync',
      reconciled: false,
      rotatedAt: IN_SYNC.rotatedAt,
    });
    expect(h.tokenWrites()).toHaveLength(0);
    expect(patches()).toBe(0);
    // 40 days: the daily sync's TokenAgeHours feeds the overdue-rotation alarm.
    expect(h.output.metric('TokenAgeHours')).toBeCloseTo(960, 0);
  });

  it('sync repairs an out-of-band rotation without rotating', async () => {
    await start();
    const outOfBand = h.sim.rotateOutOfBand();
    const summary = await h.invoke({ action: 'sync' });
    expect(summary).toMatchObject({ action: 'sync', outcome: 'reconciled', reconciled: true });
    const secret = expectInvariant();
    expect(secret).toMatchObject({ token: outOfBand, previousToken: INITIAL_TOKEN });
    expect(patches()).toBe(0);
    expect(h.output.metric('Reconciled')).toBe(1);
    await expectReceiverHonours(secret, outOfBand, h.sim.tokenHistory());
  });

  it('a scheduled rotation after an out-of-band rotation reconciles and does not rotate again', async () => {
    await start();
    const outOfBand = h.sim.rotateOutOfBand();
    expect(await h.invoke({})).toMatchObject({ outcome: 'reconciled', reconciled: true });
    expect(expectInvariant().token).toBe(outOfBand);
    expect(patches()).toBe(0);
  });

  it('a forced rotation after an out-of-band rotation reconciles, then rotates', async () => {
    await start();
    const outOfBand = h.sim.rotateOutOfBand();
    expect(await h.invoke({ action: 'rotate', force: true })).toMatchObject({ outcome: 'rotated', reconciled: true });
    expect(expectInvariant().previousToken).toBe(outOfBand);
    expect(h.tokenWrites().map((write) => write.outcome)).toEqual(['created', 'created']);
    expect(new Set(h.tokenWrites().map((write) => write.clientRequestToken)).size).toBe(2);
  });
});

describe("a token changed elsewhere (another stage, Amani's dashboard)", () => {
  it('a sync that finds neither stored token at Amani says so: summary, metric, warning, and the time in the secret', async () => {
    await start();
    const outOfBand = h.sim.rotateOutOfBand();
    const summary = await h.invoke({ action: 'sync' });
    expect(summary).toMatchObject({ outcome: 'reconciled', changedElsewhere: true });
    expect(h.output.metric('TokenChangedElsewhere')).toBe(1);
    expect(
      h.logs(
        "Amani's webhook token was changed outside this stack (another stage on the same Amani account, or Amani's dashboard); the secret now holds it",
      ),
    ).toHaveLength(1);
    const secret = expectInvariant();
    expect(secret.token).toBe(outOfBand);
    within(secret.tokenChangedElsewhereAt, Date.now());
  });

  it('the time is kept through later syncs and rotations of this stack', async () => {
    await start();
    h.sim.rotateOutOfBand();
    await h.invoke({ action: 'sync' });
    const seen = h.secret().tokenChangedElsewhereAt;
    expect(await h.invoke({ action: 'sync' })).not.toHaveProperty('changedElsewhere');
    expect((await h.invoke({ action: 'rotate', force: true })).outcome).toBe('rotated');
    expect(h.secret().tokenChangedElsewhereAt).toBe(seen);
    expect(h.output.metric('TokenChangedElsewhere')).toBe(1);
  });

  it('Amani holding the stored previous token is not counted as a change elsewhere', async () => {
    // The secret ran ahead of Amani (a token stored that Amani then lost): Amani has the previous one.
    await start({
      secret: {
        token: 'a-token-amani-never-confirmed',
        previousToken: INITIAL_TOKEN,
        previousTokenValidUntil: daysAgo(-1),
        rotatedAt: daysAgo(1),
      },
    });
    const summary = await h.invoke({ action: 'sync' });
    expect(summary).toMatchObject({ outcome: 'reconciled', reconciled: true });
    expect(summary).not.toHaveProperty('changedElsewhere');
    expect(h.output.metric('TokenChangedElsewhere')).toBe(0);
    expect(h.secret().tokenChangedElsewhereAt).toBeUndefined();
  });

  it("this stack's own run that died between PATCH and store looks the same to the next sync (RotationFailed fired before)", async () => {
    await start();
    h.sim.injectFault('rotateToken', { kind: 'fail-after', status: 500 });
    h.sim.injectFault('getToken', { kind: 'fail-before', status: 503 }, { skip: 1, times: Infinity });
    await h.invokeFailing({});
    h.sim.clearFaults();
    expect(await h.invoke({ action: 'sync' })).toMatchObject({ outcome: 'reconciled', changedElsewhere: true });
    expect(h.output.metric('RotationFailed')).toBe(1);
  });
});

describe('Amani faults', () => {
  it('500 on PATCH before rotating: the run fails, nothing changes, the next run rotates', async () => {
    await start();
    h.sim.injectFault('rotateToken', { kind: 'fail-before', status: 500 });
    const error = await h.invokeFailing({});
    expect(error.message).toMatch(
      /^Token rotation failed at rotate-token: the rotation's outcome was unknown \(Amani PATCH \/api\/v2\/webhook\/token answered HTTP 500\); Amani still has the stored token: not rotated$/,
    );
    expect(patches()).toBe(1);
    expect(h.sim.currentToken()).toBe(INITIAL_TOKEN);
    expect(h.secret()).toEqual(IN_SYNC);
    expect(h.output.metric('RotationFailed')).toBe(1);
    expect(h.output.metric('RotationAmbiguous')).toBe(1);
    expect(failLine()).toMatchObject({ step: 'rotate-token', amaniMayBeAhead: false, outcome: 'failed' });
    expect((await h.invoke({})).outcome).toBe('rotated');
    expectInvariant();
  });

  it.each([
    ['a 500 after rotating', { kind: 'fail-after', status: 500 }],
    ['a 503 after rotating', { kind: 'fail-after', status: 503 }],
    ['a hang past the timeout after rotating', { kind: 'hang-after', delayMs: 3000 }],
    ['a connection reset after rotating', { kind: 'reset', when: 'after' }],
    ['malformed JSON after rotating', { kind: 'malformed-json' }],
  ] as const)('%s: GET reveals the new token, the run stores it and succeeds without a second PATCH', async (_, fault) => {
    await start();
    h.sim.injectFault('rotateToken', fault);
    const summary = await h.invoke({});
    expect(summary.outcome).toBe('rotated');
    expect(patches()).toBe(1);
    expect(h.sim.tokenHistory()).toHaveLength(2);
    expect(expectInvariant().previousToken).toBe(INITIAL_TOKEN);
    expect(h.output.metric('RotationAmbiguous')).toBe(1);
    expect(h.logs('the rotation outcome was ambiguous; asked Amani what is true')[0]).toMatchObject({ amaniRotated: true });
  });

  it('a connection reset before rotating: the run fails and Amani is unchanged', async () => {
    await start();
    h.sim.injectFault('rotateToken', { kind: 'reset', when: 'before' });
    expect((await h.invokeFailing({})).message).toMatch(/at rotate-token: .*network error.*Amani still has the stored token/);
    expect(h.sim.currentToken()).toBe(INITIAL_TOKEN);
    expect(h.secret()).toEqual(IN_SYNC);
  });

  it('an ambiguous PATCH whose GET also fails: the run fails, the next run reconciles', async () => {
    await start();
    h.sim.injectFault('rotateToken', { kind: 'fail-after', status: 500 });
    h.sim.injectFault('getToken', { kind: 'fail-before', status: 503 }, { skip: 1, times: Infinity });
    const error = await h.invokeFailing({});
    expect(error.message).toMatch(/at resolve-ambiguous: .*the next run reconciles/);
    expect(failLine()).toMatchObject({ amaniMayBeAhead: true });
    expect(h.secret()).toEqual(IN_SYNC);
    expect(h.sim.currentToken()).not.toBe(INITIAL_TOKEN);
    h.sim.clearFaults();
    expect(await h.invoke({})).toMatchObject({ outcome: 'reconciled', reconciled: true });
    expect(patches()).toBe(1);
    const secret = expectInvariant();
    expect(secret.previousToken).toBe(INITIAL_TOKEN);
    await expectReceiverHonours(secret, h.sim.currentToken()!, h.sim.tokenHistory());
  });

  it('a definitive refusal of PATCH (403) fails the run without ambiguity', async () => {
    await start();
    h.sim.injectFault('rotateToken', { kind: 'fail-before', status: 403 });
    expect((await h.invokeFailing({})).message).toMatch(/at rotate-token: Amani refused the rotation: .*HTTP 403/);
    expect(h.sim.requestsTo('getToken')).toHaveLength(1);
  });

  it('malformed JSON and a 429 on GET are retried', async () => {
    await start();
    h.sim.injectFault('getToken', { kind: 'malformed-json' });
    h.sim.injectFault('getToken', { kind: 'fail-before', status: 429, retryAfter: '1' });
    expect((await h.invoke({})).outcome).toBe('rotated');
    expect(h.sim.requestsTo('getToken').map((request) => request.status)).toEqual([200, 429, 200, 200]);
    expect(h.sleeps).toContain(1000);
    expectInvariant();
  });

  it('a 401 on login fails the run with a credentials reason, before anything changes', async () => {
    await start();
    h.sim.injectFault('login', { kind: 'fail-before', status: 401 });
    const error = await h.invokeFailing({});
    expect(error.message).toBe(
      "Token rotation failed at get-token: reading Amani's current token failed: Amani POST /api/v2/user/login failed: HTTP 401: Amani rejected the username/password of the credentials secret",
    );
    expect(patches()).toBe(0);
    expect(h.secret()).toEqual(IN_SYNC);
  });

  it('logs in again when the access token expires between runs of a warm container', async () => {
    await start({ config: { minRotationAgeMs: 0 } });
    await h.invoke({ action: 'sync' });
    h.sim.expireAccessTokens();
    expect((await h.invoke({})).outcome).toBe('rotated');
    expectInvariant();
  });

  it('refuses to PATCH when too little invocation time is left to store the result', async () => {
    await start();
    const error = await h.invokeFailing({}, 3000);
    expect(error.message).toMatch(/at check-time: only \d+ ms left/);
    expect(patches()).toBe(0);
  });

  it('detects a rotation by someone else between PATCH and confirm, and the next run repairs it', async () => {
    await start();
    let outOfBand: string | undefined;
    h.world.afterEffect = (label) => {
      if (label === 'PATCH /api/v2/webhook/token') outOfBand = h.sim.rotateOutOfBand();
    };
    const error = await h.invokeFailing({});
    expect(error.message).toMatch(/at confirm: Amani's current token changed again .*the next run reconciles/);
    h.world.afterEffect = undefined;
    expect(await h.invoke({})).toMatchObject({ outcome: 'reconciled' });
    expect(expectInvariant().token).toBe(outOfBand);
  });
});

describe('the confirmation', () => {
  it('detects another writer of the token secret between store and confirm, and the next run repairs it', async () => {
    await start();
    let overwritten = false;
    h.world.afterEffect = (label) => {
      if (overwritten || label !== `PutSecretValue ${TOKEN_SECRET_ID}`) return;
      overwritten = true;
      h.secrets.set(TOKEN_SECRET_ID, JSON.stringify({ token: 'written-by-someone-else-0123', rotatedAt: new Date().toISOString() }));
    };
    const error = await h.invokeFailing({});
    expect(error.message).toBe(
      'Token rotation failed at confirm: the token secret does not hold the token just stored (a concurrent writer?); the next run reconciles',
    );
    expect(failLine()).toMatchObject({ step: 'confirm', amaniMayBeAhead: true });
    expect(h.output.metric('RotationFailed')).toBe(1);
    expect(patches()).toBe(1);
    h.world.afterEffect = undefined;
    expect(await h.invoke({})).toMatchObject({ outcome: 'reconciled', reconciled: true });
    expect(patches()).toBe(1);
    expectInvariant();
  });
});

describe('Secrets Manager faults', () => {
  it('a transient read failure is retried', async () => {
    await start();
    h.secrets.injectFault('GetSecretValue', { secretId: TOKEN_SECRET_ID, times: 2 });
    expect((await h.invoke({})).outcome).toBe('rotated');
    expect(h.output.metric('SecretStoreRetries')).toBe(2);
  });

  it('an unreadable secret fails the run before Amani is touched', async () => {
    await start();
    h.secrets.injectFault('GetSecretValue', { secretId: TOKEN_SECRET_ID, times: Infinity, error: accessDenied });
    const error = await h.invokeFailing({});
    expect(error.message).toBe(
      'Token rotation failed at read-secret: reading the token secret failed after 1 attempt(s): Secrets Manager GetSecretValue failed: AccessDeniedException HTTP 400',
    );
    expect(h.sim.requests).toHaveLength(0);
  });

  it('a malformed token secret fails the run at once, naming the field but no value', async () => {
    await start();
    h.secrets.set(TOKEN_SECRET_ID, JSON.stringify({ token: INITIAL_TOKEN, rotatedAt: 'yesterday' }));
    const error = await h.invokeFailing({});
    expect(error.message).toMatch(/at read-secret: .*rotatedAt/);
    expect(h.sim.requests).toHaveLength(0);
  });

  it('a write failing 3 times is retried with ONE ClientRequestToken and creates one version', async () => {
    await start();
    h.secrets.injectFault('PutSecretValue', { secretId: TOKEN_SECRET_ID, times: 3 });
    expect((await h.invoke({})).outcome).toBe('rotated');
    expectInvariant();
    const writes = h.tokenWrites();
    expect(writes.map((write) => write.outcome)).toEqual(['failed', 'failed', 'failed', 'created']);
    expect(new Set(writes.map((write) => write.clientRequestToken))).toEqual(new Set([h.idempotencyKeys[0]]));
    expect(h.secrets.versions(TOKEN_SECRET_ID)).toHaveLength(2);
    expect(h.output.metric('SecretStoreRetries')).toBe(3);
    expect(patches()).toBe(1);
  });

  it('a write that landed but whose answer was lost is repeated idempotently', async () => {
    await start();
    h.secrets.injectFault('PutSecretValue', { secretId: TOKEN_SECRET_ID, applied: true });
    expect((await h.invoke({})).outcome).toBe('rotated');
    expect(h.tokenWrites().map((write) => write.outcome)).toEqual(['applied-then-failed', 'idempotent-repeat']);
    expect(h.secrets.versions(TOKEN_SECRET_ID)).toHaveLength(2);
    expectInvariant();
  });

  it('a write failing always fails the run (Amani ahead); the next run reconciles and loses nothing', async () => {
    await start();
    h.secrets.injectFault('PutSecretValue', { secretId: TOKEN_SECRET_ID, times: Infinity });
    const error = await h.invokeFailing({});
    expect(error.message).toMatch(
      /^Token rotation failed at store-rotated: writing the token secret failed after 8 attempt\(s\): Secrets Manager PutSecretValue failed: InternalServiceError HTTP 500; Amani's current token is NOT in the secret; the next successful run stores it \(reconcile\)$/,
    );
    expect(failLine()).toMatchObject({ step: 'store-rotated', amaniMayBeAhead: true });
    expect(new Set(h.tokenWrites().map((write) => write.clientRequestToken)).size).toBe(1);
    expect(h.secret()).toEqual(IN_SYNC);
    h.secrets.clearFaults();
    expect(await h.invoke({})).toMatchObject({ outcome: 'reconciled', reconciled: true });
    expect(patches()).toBe(1);
    const secret = expectInvariant();
    expect(secret.previousToken).toBe(INITIAL_TOKEN);
    await expectReceiverHonours(secret, h.sim.currentToken()!, h.sim.tokenHistory());
  });

  it('a permanent write error (access denied) is not retried', async () => {
    await start();
    h.secrets.injectFault('PutSecretValue', { secretId: TOKEN_SECRET_ID, times: Infinity, error: accessDenied });
    expect((await h.invokeFailing({})).message).toMatch(/after 1 attempt\(s\)/);
  });

  it('missing Amani credentials fail the run before anything else', async () => {
    await start({ credentials: '' });
    const error = await h.invokeFailing({});
    expect(error.message).toMatch(
      /^Token rotation failed at read-credentials: the Amani API credentials are not usable: The Amani API credentials secret is empty/,
    );
    expect(h.sim.requests).toHaveLength(0);
    expect(h.secrets.reads).toEqual([CREDENTIALS_SECRET_ID]);
  });

  it('a transient credentials read failure is retried', async () => {
    await start();
    h.secrets.injectFault('GetSecretValue', { secretId: CREDENTIALS_SECRET_ID, times: 2, error: serverError });
    expect((await h.invoke({})).outcome).toBe('rotated');
  });

  it('uses a userToken from the credentials secret', async () => {
    await start({
      credentials: JSON.stringify({ userToken: 'static-user-token-sentinel' }),
      simulator: { userTokens: ['static-user-token-sentinel'] },
    });
    expect((await h.invoke({})).outcome).toBe('rotated');
    expect(h.sim.requestsTo('login')).toHaveLength(0);
  });
});

describe('invocation payloads', () => {
  it.each([
    [{ action: 'rotat' }],
    [{ action: 'rotate', force: 'true' }],
    [{ action: 'rotate', revokePrevius: true }],
    [{ action: 'sync', revokePrevious: true }],
  ])('refuses %j (an explicit action must be exact)', async (payload) => {
    await start();
    const error = await h.invokeFailing(payload);
    expect(error.name).toBe('InvalidInvocationError');
    expect(h.sim.requests).toHaveLength(0);
    expect(h.output.metric('RotationFailed')).toBe(1);
    expect(failLine()).toMatchObject({ step: 'parse-invocation' });
  });

  it('never logs the invocation event', async () => {
    await start();
    await h.invoke({ 'detail-type': 'Scheduled Event', detail: { marker: 'event-marker-sentinel' } });
    expect(h.output.text()).not.toContain('event-marker-sentinel');
  });
});
