/**
 * The registration function as its entry builds it (`buildRegistration`: env declaration, shared
 * logger and metrics, middy, adapters), driven like the CDK provider framework and an operator
 * drive it: custom resource events and `{"action":...}` payloads in, Provider answers, Amani
 * registrations, account claims, rotator invocations, logs and metrics out. Real SDK v3 clients
 * reach the local AWS emulator (Secrets Manager, SSM, Lambda Invoke) and the real Amani client
 * talks HTTP to the Amani simulator.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { clientOptions } from '../../lambda/adapters/aws-clients';
import { amaniAccountKey, claimName, parseAccountClaim } from '../../lambda/core/account-claim';
import { AMANI_EVENTS } from '../../lambda/core/amani-events';
import type { RetryEnvironment } from '../../lambda/core/retry';
import { buildRegistration, createRegistrationClients, type RegistrationClients } from '../../lambda/registration/build-registration';
import { loadRegistrationConfig, toRegistrationEnvironment, type RegistrationSettings } from '../../lambda/registration/env';
import { FAILURE_METRIC, OUTCOME_METRICS, PHYSICAL_RESOURCE_ID, type ProviderResponse } from '../../lambda/registration/handler';
import type { RegistrationResult } from '../../lambda/registration/register';
import { startAmaniSimulator, type AmaniSimulator } from '../../local/amani-simulator';
import { EMULATOR_REGION, startAwsEmulator, type AwsEmulator } from '../../local/aws-emulator';
import { invokeLocally, localAwsEnvironment } from '../../local/local-stack';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';
import { registrationEvent } from '../helpers/custom-resource-events';

const USER = { username: 'ops@example.com', password: 'correct horse battery staple' };
const USER_TOKEN = 'static-user-token-123';
const WEBHOOK_URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/webhook';
const ROTATOR = 'AmaniWebhooks-dev-RotationRotatorFunction-abc';
const SECRET_ID = 'AmaniWebhooks-dev-amani-credentials';
const FUNCTION_NAME = 'AmaniWebhooks-dev-Registration-xyz';
const STACK = { stackName: 'AmaniWebhooks-dev', stackId: 'arn:aws:cloudformation:eu-west-1:000000000000:stack/AmaniWebhooks-dev/1' };
const OTHER_STACK = {
  stackName: 'AmaniWebhooks-staging',
  stackId: 'arn:aws:cloudformation:eu-west-1:000000000000:stack/AmaniWebhooks-staging/7',
};
const FAST_RETRIES: RetryEnvironment = {
  now: () => Date.now(),
  sleep: () => new Promise((resolve) => setImmediate(resolve)),
  random: () => 0.5,
};

let amani: AmaniSimulator;
let aws: AwsEmulator;
let output: CapturedOutput;
/** What the stand-in rotator was invoked with, and what it does. */
let rotatorCalls: unknown[];
let rotatorBehaviour: (payload: unknown) => Promise<unknown>;

beforeEach(async () => {
  amani = await startAmaniSimulator({ users: [USER], userTokens: [USER_TOKEN] });
  aws = await startAwsEmulator();
  Object.assign(process.env, localAwsEnvironment(aws.endpoint, EMULATOR_REGION));
  aws.putSecret(SECRET_ID, JSON.stringify(USER));
  rotatorCalls = [];
  rotatorBehaviour = async () => ({ action: 'sync', outcome: 'bootstrapped', reconciled: false });
  aws.registerFunction(ROTATOR, async (payload) => {
    rotatorCalls.push(payload);
    return rotatorBehaviour(payload);
  });
  output = captureOutput();
});

afterEach(async () => {
  output.restore();
  await amani.close();
  await aws.close();
});

/** One SDK attempt per call, so that one injected fault is one failed call. */
function singleAttemptClients(): RegistrationClients {
  const options = clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 5000, maxAttempts: 1 });
  return { secretsManager: new SecretsManagerClient(options), lambda: new LambdaClient(options), ssm: new SSMClient(options) };
}

/** The function with its environment as the stack builds it (toRegistrationEnvironment), parsed by its own loader. */
function registration(settings: Partial<RegistrationSettings> = {}, clients: RegistrationClients = singleAttemptClients()) {
  const config = loadRegistrationConfig(
    toRegistrationEnvironment({
      amaniBaseUrl: amani.url,
      credentialsSecretId: SECRET_ID,
      rotatorFunctionName: ROTATOR,
      webhookUrl: WEBHOOK_URL,
      amaniTimeoutMs: 1000,
      stack: STACK,
      observability: { metricsNamespace: 'AmaniWebhooks/dev', logLevel: 'DEBUG' },
      ...settings,
    }),
  );
  const handler = buildRegistration(config, clients, {
    amani: { baseDelayMs: 1, maxDelayMs: 5, retryBudgetMs: 3000, retryEnvironment: FAST_RETRIES },
  });
  return (event: unknown) => invokeLocally(handler, event, FUNCTION_NAME);
}

const custom = (
  requestType: 'Create' | 'Update' | 'Delete',
  settings: Partial<RegistrationSettings> = {},
  options: { preClaimProperties?: boolean } = {},
) =>
  registration(settings)(
    registrationEvent(requestType, { stackId: STACK.stackId, webhookUrl: WEBHOOK_URL }, options),
  ) as Promise<ProviderResponse>;

const claimKey = (baseUrl = amani.url, identity: { username?: string; userToken?: string } = USER) =>
  claimName(amaniAccountKey(baseUrl, identity));
const storedClaim = (baseUrl?: string) => parseAccountClaim(aws.parameter(claimKey(baseUrl)));

function claimFor(stack: { stackName: string; stackId: string }, baseUrl = amani.url): string {
  return JSON.stringify({ version: 1, ...stack, amaniBaseUrl: baseUrl, claimedAt: '2030-01-01T00:00:00.000Z' });
}

/** Nothing Amani or the credentials secret holds may appear in logs, metrics or a CloudFormation reason. */
function expectNoSecretIn(...texts: string[]): void {
  const secrets = [...amani.sensitiveValues(), USER.password, USER_TOKEN];
  for (const text of [output.text(), ...texts]) for (const secret of secrets) expect(text).not.toContain(secret);
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

/** The one metric a run emits, and the run's error log when it failed. */
function expectOnlyMetric(name: string): void {
  const all = [...new Set([...Object.values(OUTCOME_METRICS), FAILURE_METRIC])];
  expect(
    Object.fromEntries(all.map((metric) => [metric, output.metric(metric, { name: 'service', value: 'amani-webhooks-registration' })])),
  ).toEqual(Object.fromEntries(all.map((metric) => [metric, metric === name ? 1 : 0])));
}

function failureLog(): Record<string, unknown> | undefined {
  return output.logs().find((record) => record.message === 'registration run failed');
}

describe('Create / Update', () => {
  test('registers the URL with signature_enabled and the chosen events, claims the account, then bootstraps the token secret through the rotator', async () => {
    const answer = await custom('Create', { enabledEvents: ['profile_status_change', 'document_status_change'] });

    expect(answer).toEqual({
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      Data: { Registered: 'true', TokenSync: 'bootstrapped', Message: expect.stringContaining(`Registered ${WEBHOOK_URL} with Amani`) },
    });
    const registered = amani.registration()!;
    expect(registered.url).toBe(WEBHOOK_URL);
    expect(registered.signature_enabled).toBe(true);
    expect(registered.events).toEqual(
      Object.fromEntries(AMANI_EVENTS.map((name) => [name, name === 'profile_status_change' || name === 'document_status_change'])),
    );
    expect(storedClaim()).toMatchObject(STACK);
    expect(rotatorCalls).toEqual([{ action: 'sync' }]);
    expectOnlyMetric('WebhookRegistered');
    // Every log line carries the invocation's context, and the event itself is never logged.
    const logs = output.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const record of logs) expect(record).toMatchObject({ service: 'amani-webhooks-registration', function_name: FUNCTION_NAME });
    expect(output.text()).not.toContain('ResponseURL');
    expectNoSecretIn(JSON.stringify(answer));
  });

  test("with the entry's own SDK clients (createRegistrationClients) too", async () => {
    const answer = (await registration({}, createRegistrationClients())({ action: 'register' })) as RegistrationResult;
    expect(answer).toMatchObject({ outcome: 'registered', registered: true, tokenSync: 'bootstrapped' });
  });

  test('token mode registers signature_enabled=false; a userToken is used as the bearer token', async () => {
    aws.putSecret(SECRET_ID, JSON.stringify({ userToken: USER_TOKEN }));
    await custom('Update', { signatureEnabled: false });
    expect(amani.registration()!.signature_enabled).toBe(false);
    expect(amani.requestsTo('login')).toHaveLength(0);
    expectNoSecretIn();
  });

  test('an update re-registers (a new URL replaces the old one) and keeps the same physical id', async () => {
    await custom('Create');
    const updated = await custom('Update', { webhookUrl: 'https://new.execute-api.eu-west-1.amazonaws.com/v1/webhook' });
    expect(amani.registration()!.url).toBe('https://new.execute-api.eu-west-1.amazonaws.com/v1/webhook');
    expect(updated).toMatchObject({ PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: { Registered: 'true' } });
  });

  test.each([
    ['the placeholder the stack creates', JSON.stringify({ bootstrapPlaceholder: 'Zx81kP0qLm2Nf7Ty' })],
    ['an empty secret', ''],
    ['half the credentials', JSON.stringify({ username: 'ops@example.com' })],
    ['no secret at all', undefined],
  ])('without credentials (%s) it succeeds as "not registered" and says how to register later', async (_case, secretString) => {
    const secretId = secretString === undefined ? 'no-such-secret' : SECRET_ID;
    if (secretString !== undefined) aws.putSecret(SECRET_ID, secretString);
    const answer = await custom('Create', { credentialsSecretId: secretId });
    expect(answer).toEqual({
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      Data: { Registered: 'false', TokenSync: 'none', Message: expect.stringContaining('Not registered with Amani') },
    });
    expect(answer.Data.Message).toContain(`the credentials secret (${secretId})`);
    expect(answer.Data.Message).toContain(
      `aws lambda invoke --function-name ${FUNCTION_NAME} --cli-binary-format raw-in-base64-out --payload '{"action":"register"}'`,
    );
    expect(amani.requests).toHaveLength(0);
    expect(rotatorCalls).toHaveLength(0);
    expect(aws.parameter(claimKey())).toBeUndefined();
    expectOnlyMetric('WebhookNotRegistered');
  });

  test('a rollback to a template from before account claims changes nothing at Amani', async () => {
    const answer = await custom('Update', {}, { preClaimProperties: true });
    expect(answer.Data).toMatchObject({ Registered: 'false', Message: expect.stringContaining('nothing was changed at Amani') });
    expect(amani.requests).toHaveLength(0);
    expectOnlyMetric('WebhookNotRegistered');
  });

  test('claims this stack holds on another Amani account (its credentials changed) are released; failing to check only costs a sentence', async () => {
    const oldKey = claimKey('https://tr.amani.ai');
    aws.putParameter(oldKey, claimFor(STACK, 'https://tr.amani.ai'));
    const answer = await custom('Update');
    expect(answer.Data.Message).toContain("Released this stack's claim on 1 other Amani account(s).");
    expect(aws.parameter(oldKey)).toBeUndefined();

    aws.putParameter(oldKey, claimFor(STACK, 'https://tr.amani.ai'));
    aws.injectFault('GetParametersByPath', { kind: 'access-denied' });
    const degraded = await custom('Update');
    expect(degraded.Data).toMatchObject({ Registered: 'true', TokenSync: 'bootstrapped' });
    expect(degraded.Data.Message).toContain(
      'Could not check for claims on Amani accounts this stack no longer uses (SSM GetParametersByPath (Amani account claim) failed: AccessDeniedException HTTP 400).',
    );
    expect(aws.parameter(oldKey)).toBeDefined();
  });
});

describe('failures: the custom resource fails with a reason naming the step, never a secret, and RegistrationFailed is counted', () => {
  async function failedCreate(settings: Partial<RegistrationSettings> = {}): Promise<Error> {
    const error = await failureOf(custom('Create', settings));
    expectOnlyMetric(FAILURE_METRIC);
    expect(failureLog()).toMatchObject({ level: 'ERROR', outcome: 'failed', reason: error.message, function_name: FUNCTION_NAME });
    expectNoSecretIn(error.message);
    return error;
  }

  test('the credentials secret cannot be read (other than "no usable value")', async () => {
    aws.injectFault('GetSecretValue', { kind: 'access-denied' });
    const error = await failedCreate();
    expect(error.message).toBe(
      'Reading the Amani API credentials secret failed: Secrets Manager GetSecretValue (Amani API credentials) failed: AccessDeniedException HTTP 400',
    );
    expect(amani.requests).toHaveLength(0);
    expect(aws.parameter(claimKey())).toBeUndefined();
  });

  test('the claim store is unavailable: nothing changes at Amani', async () => {
    aws.injectFault('PutParameter', { kind: 'server-error' });
    const error = await failedCreate();
    expect(error.message).toBe(
      'Checking the Amani account claim failed: SSM PutParameter (Amani account claim) failed: InternalFailure HTTP 500. Nothing was changed in Amani.',
    );
    expect(amani.requestsTo('registerWebhook')).toHaveLength(0);
    expect(rotatorCalls).toHaveLength(0);
  });

  test('the Amani account is claimed by another stack: refused, naming it, and Amani is untouched', async () => {
    aws.putParameter(claimKey(), claimFor(OTHER_STACK));
    const error = await failedCreate();
    expect(error.message).toContain(`is already used by stack ${OTHER_STACK.stackName}`);
    expect(error.message).toContain('Nothing was changed in Amani.');
    expect(amani.requestsTo('registerWebhook')).toHaveLength(0);
    expect(storedClaim()).toMatchObject(OTHER_STACK);
  });

  test('Amani refuses the login: the message names the endpoint and the status; the claim just taken is given back', async () => {
    aws.putSecret(SECRET_ID, JSON.stringify({ ...USER, password: 'wrong password 42' }));
    const error = await failedCreate();
    expect(error.message).toBe(
      'Registering the webhook with Amani failed: Amani POST /api/v2/user/login failed: HTTP 401: Amani rejected the username/password of the credentials secret. Nothing was changed in AWS.',
    );
    expect(error.message).not.toContain('wrong password 42');
    expect(output.text()).not.toContain('wrong password 42');
    expect(aws.parameter(claimKey())).toBeUndefined();
    expect(rotatorCalls).toHaveLength(0);
  });

  test('Amani answers 5xx to every attempt of PUT /api/v2/webhook: the claim is given back', async () => {
    amani.injectFault('registerWebhook', { kind: 'fail-before', status: 503 }, { times: Infinity });
    const error = await failedCreate();
    expect(error.message).toBe(
      'Registering the webhook with Amani failed: Amani PUT /api/v2/webhook failed: HTTP 503. Nothing was changed in AWS.',
    );
    expect(aws.parameter(claimKey())).toBeUndefined();
  });

  test('a failed re-registration keeps the claim this stack already held', async () => {
    aws.putParameter(claimKey(), claimFor(STACK));
    amani.injectFault('registerWebhook', { kind: 'fail-before', status: 503 }, { times: Infinity });
    await failedCreate();
    expect(storedClaim()).toMatchObject(STACK);
  });

  test('Amani is unreachable', async () => {
    const closed = await startAmaniSimulator();
    const url = closed.url;
    await closed.close();
    const error = await failedCreate({ amaniBaseUrl: url });
    expect(error.message).toMatch(/^Registering the webhook with Amani failed: Amani POST \/api\/v2\/user\/login failed: network error/);
  });

  test("the rotator's sync fails: its error type and message are passed on; the registration stands", async () => {
    rotatorBehaviour = async () => {
      throw Object.assign(new Error("reading Amani's current token failed: Amani GET /api/v2/webhook/token failed: HTTP 404"), {
        name: 'RotationError',
      });
    };
    const error = await failedCreate();
    expect(error.message).toBe(
      "Registered the webhook with Amani, but the rotator's sync failed, so the token secret is not bootstrapped (deliveries get 503 until it is): RotationError: reading Amani's current token failed: Amani GET /api/v2/webhook/token failed: HTTP 404",
    );
    expect(amani.registration()!.url).toBe(WEBHOOK_URL);
    expect(storedClaim()).toMatchObject(STACK);
  });

  test('the rotator cannot be invoked', async () => {
    aws.injectFault('Invoke', { kind: 'access-denied' });
    const error = await failedCreate();
    expect(error.message).toBe(
      'Registered the webhook with Amani, but invoking the rotator to bootstrap the token secret failed: Lambda Invoke AccessDeniedException HTTP 400',
    );
    expect(rotatorCalls).toHaveLength(0);
  });

  test('the rotator does not exist', async () => {
    const error = await failedCreate({ rotatorFunctionName: 'no-such-function' });
    expect(error.message).toBe(
      'Registered the webhook with Amani, but invoking the rotator to bootstrap the token secret failed: Lambda Invoke ResourceNotFoundException HTTP 404',
    );
  });

  test.each([
    [{ action: 'rotate' }, 'Unknown action "rotate": expected "register" or "unregister"'],
    [{}, 'Unsupported invocation'],
    [null, 'Unsupported invocation'],
  ])('%j is refused with what is expected', async (event, expected) => {
    const error = await failureOf(registration()(event));
    expect(error.message).toContain(expected);
    expectOnlyMetric(FAILURE_METRIC);
    expect(amani.requests).toHaveLength(0);
  });
});

describe('Delete', () => {
  test('as the owner of the account: disables every event, releases the claim, succeeds', async () => {
    await custom('Create');
    output.lines.length = 0;
    const answer = await custom('Delete');
    expect(answer).toEqual({
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      Data: {
        Registered: 'false',
        TokenSync: 'none',
        Message: 'Disabled every event of the Amani webhook. Released the Amani account claim.',
      },
    });
    expect(Object.values(amani.registration()!.events).every((enabled) => enabled === false)).toBe(true);
    expect(rotatorCalls).toHaveLength(1); // the Create's sync only
    expect(aws.parameter(claimKey())).toBeUndefined();
    expectOnlyMetric('WebhookEventsDisabled');
  });

  test("not the owner: the webhook and the other stack's claim are left as they are", async () => {
    aws.putParameter(claimKey(), claimFor(OTHER_STACK));
    const answer = await custom('Delete');
    expect(answer.Data.Message).toContain(`the Amani account is claimed by stack ${OTHER_STACK.stackName} (`);
    expect(amani.requestsTo('registerWebhook')).toHaveLength(0);
    expect(storedClaim()).toMatchObject(OTHER_STACK);
    expectOnlyMetric('WebhookLeftAsIs');
  });

  test('never fails the stack deletion: Amani refusing, the secret unreadable, the claim not releasable', async () => {
    await custom('Create');
    amani.injectFault('registerWebhook', { kind: 'fail-before', status: 500 }, { times: Infinity });
    output.lines.length = 0;
    const refused = await custom('Delete');
    expect(refused.Data).toMatchObject({
      Registered: 'true',
      Message: expect.stringContaining('Could not disable the Amani webhook events (Amani PUT /api/v2/webhook failed: HTTP 500)'),
    });
    expectOnlyMetric('WebhookDisableFailed');

    aws.putParameter(claimKey(), claimFor(STACK));
    aws.injectFault('GetSecretValue', { kind: 'access-denied' }, { times: 1 });
    await expect(custom('Delete')).resolves.toMatchObject({
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      Data: { Message: expect.stringContaining('disable them in Amani by hand') },
    });

    amani.clearFaults();
    aws.putParameter(claimKey(), claimFor(STACK));
    aws.injectFault('DeleteParameter', { kind: 'server-error' });
    const unreleased = await custom('Delete');
    expect(unreleased.Data.Message).toContain(
      "Could not release this stack's Amani account claim (SSM DeleteParameter (Amani account claim) failed: InternalFailure HTTP 500)",
    );
    expect(storedClaim()).toMatchObject(STACK);
    expectNoSecretIn();
  });

  test('leaves the webhook alone when disableEventsOnDelete is off, or when there are no credentials', async () => {
    const kept = await custom('Delete', { disableEventsOnDelete: false });
    expect(kept.Data.Message).toContain('disableEventsOnDelete=false');
    aws.putSecret(SECRET_ID, JSON.stringify({ bootstrapPlaceholder: 'x' }));
    const none = await custom('Delete');
    expect(none.Data.Message).toContain('No Amani API credentials');
    expect(amani.requests).toHaveLength(0);
  });
});

describe('operator invocations', () => {
  test('{"action":"register"} registers with the deployed configuration and answers the result itself', async () => {
    const result = await registration()({ action: 'register' });
    expect(result).toEqual({
      outcome: 'registered',
      registered: true,
      tokenSync: 'bootstrapped',
      message: expect.stringContaining('Registered'),
    });
    expect(amani.registration()!.url).toBe(WEBHOOK_URL);
  });

  test('{"action":"unregister"} disables every event and keeps the claim (the stack still uses the account)', async () => {
    await registration()({ action: 'register' });
    const result = await registration()({ action: 'unregister' });
    expect(result).toMatchObject({ outcome: 'disabled', registered: false });
    expect(Object.values(amani.registration()!.events).some(Boolean)).toBe(false);
    expect(storedClaim()).toMatchObject(STACK);
  });
});
