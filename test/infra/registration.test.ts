/**
 * The registration custom resource's handler against the Amani simulator (real HTTP on
 * 127.0.0.1) with Secrets Manager and Lambda mocked at the SDK client level, and the account
 * claims in SSM through the local AWS emulator (test/registration/ covers the claims in depth).
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { SsmAccountClaimStore } from '../../lambda/adapters/account-claim-store';
import { amaniAccountKey, claimName } from '../../lambda/core/account-claim';
import { startAwsEmulator, type AwsEmulator } from '../../local/aws-emulator';
import { startAmaniSimulator, type AmaniSimulator } from '../../local/amani-simulator';
import { createAmaniClient } from '../../lambda/adapters/amani-client';
import { AMANI_EVENTS } from '../../lambda/core/amani-events';
import { loadRegistrationConfig, type RegistrationConfig } from '../../lambda/registration/config';
import { createRegistrationHandler, PHYSICAL_RESOURCE_ID } from '../../lambda/registration/handler';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';
import { registrationEvent } from '../helpers/custom-resource-events';

const USER = { username: 'ops@example.com', password: 'correct horse battery staple' };
const WEBHOOK_URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/webhook';
const ROTATOR = 'AmaniWebhooks-dev-RotationRotatorFunction-abc';
const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:amani-credentials-AbCdEf';
const STACK = { stackName: 'AmaniWebhooks-dev', stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/AmaniWebhooks-dev/1' };

const secretsManager = mockClient(SecretsManagerClient);
const lambda = mockClient(LambdaClient);
let amani: AmaniSimulator;
let aws: AwsEmulator;
let output: CapturedOutput;

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

beforeEach(async () => {
  amani = await startAmaniSimulator({ users: [USER], userTokens: ['static-user-token-123'] });
  aws = await startAwsEmulator();
  secretsManager.reset();
  lambda.reset();
  secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(USER) });
  lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ action: 'sync', outcome: 'bootstrapped', reconciled: false }) as never });
  output = captureOutput();
});

afterEach(async () => {
  output.restore();
  await amani.close();
  await aws.close();
});

function handler(config: Partial<RegistrationConfig> = {}, baseUrl?: string) {
  const full: RegistrationConfig = {
    amaniBaseUrl: baseUrl ?? amani.url,
    credentialsSecretId: SECRET_ID,
    rotatorFunctionName: ROTATOR,
    webhookUrl: WEBHOOK_URL,
    signatureEnabled: true,
    enabledEvents: [...AMANI_EVENTS],
    disableEventsOnDelete: true,
    amaniTimeoutMs: 1000,
    stack: STACK,
    ...config,
  };
  return createRegistrationHandler({
    config: full,
    secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
    lambda: new LambdaClient({ region: 'eu-west-1' }),
    claims: new SsmAccountClaimStore(new SSMClient({ endpoint: aws.endpoint, region: 'eu-west-1', maxAttempts: 1 })),
    logger: new Logger({ serviceName: 'registration-test', logLevel: 'DEBUG' }),
    // The real client, with short waits so that failure cases stay fast.
    connectAmani: (credentials) =>
      createAmaniClient({ baseUrl: full.amaniBaseUrl, credentials, timeoutMs: 1000, baseDelayMs: 1, maxDelayMs: 5, retryBudgetMs: 3000 }),
    functionName: 'AmaniWebhooks-dev-Registration-xyz',
  });
}

function cfnEvent(requestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent {
  return registrationEvent(requestType, { stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/AmaniWebhooks-dev/1', webhookUrl: WEBHOOK_URL });
}

/** Nothing Amani or the credentials secret holds may appear in logs or in a CloudFormation reason. */
function expectNoSecretIn(...texts: string[]): void {
  const secrets = [...amani.sensitiveValues(), USER.password, 'static-user-token-123'];
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

describe('Create / Update', () => {
  test('registers the URL with signature_enabled and the chosen events, then bootstraps the token secret through the rotator', async () => {
    const result = await handler({ enabledEvents: ['profile_status_change', 'document_status_change'] })(cfnEvent('Create'));

    expect(result).toEqual({
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      Data: { Registered: 'true', TokenSync: 'bootstrapped', Message: expect.stringContaining(`Registered ${WEBHOOK_URL} with Amani`) },
    });
    const registration = amani.registration()!;
    expect(registration.url).toBe(WEBHOOK_URL);
    expect(registration.signature_enabled).toBe(true);
    expect(registration.events).toEqual(
      Object.fromEntries(AMANI_EVENTS.map((name) => [name, name === 'profile_status_change' || name === 'document_status_change'])),
    );
    expect(amani.requestsTo('registerWebhook')).toHaveLength(1);

    const invocations = lambda.commandCalls(InvokeCommand);
    expect(invocations).toHaveLength(1);
    const input = invocations[0]!.args[0].input;
    expect(input.FunctionName).toBe(ROTATOR);
    expect(input.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual({ action: 'sync' });
    // Order: Amani knows the URL before the secret is bootstrapped from Amani's token.
    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]!.args[0].input.SecretId).toBe(SECRET_ID);
    expectNoSecretIn(JSON.stringify(result));
  });

  test('token mode registers signature_enabled=false; a userToken is used as the bearer token', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ userToken: 'static-user-token-123' }) });
    await handler({ signatureEnabled: false })(cfnEvent('Update'));
    expect(amani.registration()!.signature_enabled).toBe(false);
    expect(amani.requestsTo('login')).toHaveLength(0);
    expectNoSecretIn();
  });

  test('an update re-registers (a new URL replaces the old one) and keeps the same physical id', async () => {
    await handler()(cfnEvent('Create'));
    const updated = await handler({ webhookUrl: 'https://new.execute-api.eu-west-1.amazonaws.com/v1/webhook' })(cfnEvent('Update'));
    expect(amani.registration()!.url).toBe('https://new.execute-api.eu-west-1.amazonaws.com/v1/webhook');
    expect(updated).toMatchObject({ PhysicalResourceId: PHYSICAL_RESOURCE_ID });
  });

  test.each([
    ['the placeholder the stack creates', { SecretString: JSON.stringify({ bootstrapPlaceholder: 'Zx81kP0qLm2Nf7Ty' }) }],
    ['an empty secret', { SecretString: '' }],
    ['half the credentials', { SecretString: JSON.stringify({ username: 'ops@example.com' }) }],
  ])('without credentials (%s) it succeeds as "not registered" and says how to register later', async (_case, answer) => {
    secretsManager.on(GetSecretValueCommand).resolves(answer);
    const result = await handler()(cfnEvent('Create'));
    expect(result).toEqual({
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      Data: { Registered: 'false', TokenSync: 'none', Message: expect.stringContaining('Not registered with Amani') },
    });
    const message = (result as { Data: { Message: string } }).Data.Message;
    expect(message).toContain(SECRET_ID);
    expect(message).toContain("aws lambda invoke --function-name AmaniWebhooks-dev-Registration-xyz --cli-binary-format raw-in-base64-out --payload '{\"action\":\"register\"}'");
    expect(amani.requests).toHaveLength(0);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  test('a credentials secret without any value yet counts as "not registered" too', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT", $metadata: {} }));
    const result = await handler()(cfnEvent('Create'));
    expect(result).toMatchObject({ Data: { Registered: 'false' } });
  });
});

describe('failures surface as readable CloudFormation errors, never with a secret', () => {
  test('Amani refuses the login: the message names the endpoint and the status', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ ...USER, password: 'wrong password 42' }) });
    const error = await failureOf(handler()(cfnEvent('Create')));
    expect(error.message).toBe(
      'Registering the webhook with Amani failed: Amani POST /api/v2/user/login failed: HTTP 401: Amani rejected the username/password of the credentials secret. Nothing was changed in AWS.',
    );
    expect(error.message).not.toContain('wrong password 42');
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
    expectNoSecretIn(error.message);
  });

  test('Amani answers 5xx to every attempt of PUT /api/v2/webhook', async () => {
    amani.injectFault('registerWebhook', { kind: 'fail-before', status: 503 }, { times: Infinity });
    const error = await failureOf(handler()(cfnEvent('Create')));
    expect(error.message).toBe('Registering the webhook with Amani failed: Amani PUT /api/v2/webhook failed: HTTP 503. Nothing was changed in AWS.');
    expectNoSecretIn(error.message);
  });

  test('Amani is unreachable', async () => {
    const closed = await startAmaniSimulator();
    const url = closed.url;
    await closed.close();
    const error = await failureOf(handler({}, url)(cfnEvent('Create')));
    expect(error.message).toMatch(/^Registering the webhook with Amani failed: Amani POST \/api\/v2\/user\/login failed: network error/);
  });

  test("the rotator's sync fails: its error type and message are passed on", async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'RotationError', errorMessage: "reading Amani's current token failed: Amani GET /api/v2/webhook/token failed: HTTP 404", trace: ['at x'] }) as never,
    });
    const error = await failureOf(handler()(cfnEvent('Create')));
    expect(error.message).toBe(
      "Registered the webhook with Amani, but the rotator's sync failed, so the token secret is not bootstrapped (deliveries get 503 until it is): RotationError: reading Amani's current token failed: Amani GET /api/v2/webhook/token failed: HTTP 404",
    );
  });

  test('the rotator cannot be invoked', async () => {
    lambda.on(InvokeCommand).rejects(Object.assign(new Error('User is not authorized to perform: lambda:InvokeFunction'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    const error = await failureOf(handler()(cfnEvent('Create')));
    expect(error.message).toBe(
      'Registered the webhook with Amani, but invoking the rotator to bootstrap the token secret failed: Lambda Invoke AccessDeniedException HTTP 403',
    );
  });

  test('the credentials secret cannot be read (other than "no value yet")', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    const error = await failureOf(handler()(cfnEvent('Create')));
    expect(error.message).toBe(
      'Reading the Amani API credentials secret failed: Secrets Manager GetSecretValue (Amani API credentials) failed: AccessDeniedException HTTP 400',
    );
    expect(amani.requests).toHaveLength(0);
  });
});

describe('Delete', () => {
  test('disables every event of the webhook and succeeds', async () => {
    await handler()(cfnEvent('Create'));
    const result = await handler()(cfnEvent('Delete'));
    expect(result).toEqual({
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      Data: { Registered: 'false', TokenSync: 'none', Message: 'Disabled every event of the Amani webhook. Released the Amani account claim.' },
    });
    expect(Object.values(amani.registration()!.events).every((enabled) => enabled === false)).toBe(true);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(1); // the Create's sync only
    expect(aws.calls.DeleteParameter).toBe(1);
  });

  test('never fails the stack deletion when Amani is unreachable or refuses', async () => {
    await handler()(cfnEvent('Create'));
    amani.injectFault('registerWebhook', { kind: 'fail-before', status: 500 }, { times: Infinity });
    const refused = await handler()(cfnEvent('Delete'));
    expect(refused).toMatchObject({ Data: { Message: expect.stringContaining('Could not disable the Amani webhook events (Amani PUT /api/v2/webhook failed: HTTP 500)') } });

    const closed = await startAmaniSimulator();
    const url = closed.url;
    await closed.close();
    // This stack's claim on the account at that (now unreachable) URL.
    aws.putParameter(claimName(amaniAccountKey(url, USER)), JSON.stringify({ version: 1, ...STACK, amaniBaseUrl: url, claimedAt: new Date().toISOString() }));
    const unreachable = await handler({}, url)(cfnEvent('Delete'));
    expect(unreachable).toMatchObject({ PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: { Message: expect.stringContaining('disable them in Amani by hand') } });

    secretsManager.on(GetSecretValueCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: {} }));
    await expect(handler()(cfnEvent('Delete'))).resolves.toMatchObject({ PhysicalResourceId: PHYSICAL_RESOURCE_ID });
    expectNoSecretIn();
  });

  test('leaves the webhook alone when disableEventsOnDelete is off, or when there are no credentials', async () => {
    await handler({ disableEventsOnDelete: false })(cfnEvent('Delete'));
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ bootstrapPlaceholder: 'x' }) });
    await handler()(cfnEvent('Delete'));
    expect(amani.requests).toHaveLength(0);
  });
});

describe('operator invocations', () => {
  test('{"action":"register"} registers with the deployed configuration', async () => {
    const result = await handler()({ action: 'register' });
    expect(result).toEqual({ registered: true, tokenSync: 'bootstrapped', message: expect.stringContaining('Registered') });
    expect(amani.registration()!.url).toBe(WEBHOOK_URL);
  });

  test('{"action":"unregister"} disables every event', async () => {
    await handler()({ action: 'register' });
    await handler()({ action: 'unregister' });
    expect(Object.values(amani.registration()!.events).some(Boolean)).toBe(false);
  });

  test('anything else is refused with what is expected', async () => {
    await expect(handler()({ action: 'rotate' } as never)).rejects.toThrow('Unknown action "rotate": expected "register" or "unregister"');
    await expect(handler()({} as never)).rejects.toThrow('Unsupported invocation');
  });
});

describe('configuration (environment set by the stack)', () => {
  const base = {
    AMANI_BASE_URL: 'https://eu.amani.ai',
    CREDENTIALS_SECRET_ID: SECRET_ID,
    ROTATOR_FUNCTION_NAME: ROTATOR,
    WEBHOOK_URL,
    STACK_NAME: STACK.stackName,
    STACK_ID: STACK.stackId,
  };

  test('defaults: signature on, every event, disable on delete', () => {
    expect(loadRegistrationConfig(base)).toEqual({
      amaniBaseUrl: 'https://eu.amani.ai',
      credentialsSecretId: SECRET_ID,
      rotatorFunctionName: ROTATOR,
      webhookUrl: WEBHOOK_URL,
      signatureEnabled: true,
      enabledEvents: [...AMANI_EVENTS],
      disableEventsOnDelete: true,
      amaniTimeoutMs: 5000,
      stack: STACK,
    });
    expect(loadRegistrationConfig({ ...base, SIGNATURE_ENABLED: 'false', ENABLED_EVENTS: 'zip_file_create', DISABLE_EVENTS_ON_DELETE: 'false' })).toMatchObject({
      signatureEnabled: false,
      enabledEvents: ['zip_file_create'],
      disableEventsOnDelete: false,
    });
  });

  test.each([
    [{ AMANI_BASE_URL: 'http://eu.amani.ai' }, 'AMANI_BASE_URL: must use https'],
    [{ ENABLED_EVENTS: 'profile_create,nope' }, 'ENABLED_EVENTS.1: must list Amani events only'],
    [{ SIGNATURE_ENABLED: 'yes' }, "SIGNATURE_ENABLED: must be 'true' or 'false'"],
    [{ WEBHOOK_URL: 'not a url' }, 'WEBHOOK_URL: must be the webhook URL'],
    [{ ROTATOR_FUNCTION_NAME: undefined }, 'ROTATOR_FUNCTION_NAME: is required'],
    [{ STACK_ID: undefined }, 'STACK_ID: is required'],
  ])('%j is refused, naming the variable', (change, expected) => {
    expect(() => loadRegistrationConfig({ ...base, ...change })).toThrow(expected);
  });
});
