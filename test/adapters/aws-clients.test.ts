import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { runInNewContext } from 'node:vm';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { classifyAwsError, clientOptions, describeAwsError, isAwsError } from '../../lambda/adapters/aws-clients';
import { EMULATOR_REGION, startAwsEmulator, type AwsEmulator, type Fault, type Operation } from '../../local/aws-emulator';

/**
 * classifyAwsError over what the real SDK v3 clients throw (the local AWS emulator on 127.0.0.1
 * answers each call with the fault of the row), and over hand-made shapes from another realm.
 */
let aws: AwsEmulator;
const clients = () => {
  const options = {
    ...clientOptions({ connectionTimeoutMs: 500, requestTimeoutMs: 300, maxAttempts: 1 }),
    endpoint: aws.endpoint,
    region: EMULATOR_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  return { secrets: new SecretsManagerClient(options), sqs: new SQSClient(options), ssm: new SSMClient(options) };
};

// A fault a test did not use up (an abort that fired before its request arrived) must not leak
// into the next test.
afterEach(() => aws.clearFaults());

beforeAll(async () => {
  aws = await startAwsEmulator();
  aws.putSecret('token', '{}');
  aws.createQueue('fallback');
});
afterAll(() => aws.close());

async function thrown(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('the call succeeded');
}

describe('classifyAwsError on real SDK errors', () => {
  const getSecret =
    (id = 'token') =>
    () =>
      clients().secrets.send(new GetSecretValueCommand({ SecretId: id }));
  const sendMessage = () => clients().sqs.send(new SendMessageCommand({ QueueUrl: aws.queueUrl('fallback'), MessageBody: 'x' }));

  // A connection reset is left to the wire-level suites: in jest's realm the SDK wraps Node's
  // socket error into a nameless error (see test/reliability/support/single-realm.ts).
  it.each([
    ['Secrets Manager throttling', 'throttled', 'GetSecretValue', { kind: 'throttle' }, getSecret()],
    ['SQS throttling (query-compatible code)', 'throttled', 'SendMessage', { kind: 'throttle' }, sendMessage],
    ['a 500', 'transient', 'GetSecretValue', { kind: 'server-error' }, getSecret()],
    ['an answer slower than the request timeout', 'transient', 'GetSecretValue', { kind: 'slow', ms: 600 }, getSecret()],
    ['access denied', 'client', 'GetSecretValue', { kind: 'access-denied' }, getSecret()],
  ] as const)('%s is %s', async (_name, expected, operation: Operation, fault: Fault, call) => {
    aws.injectFault(operation, fault, { times: 1 });
    expect(classifyAwsError(await thrown(call))).toBe(expected);
  });

  it('a missing secret and a missing parameter are client failures, recognised by name', async () => {
    const missingSecret = await thrown(getSecret('nope'));
    expect(classifyAwsError(missingSecret)).toBe('client');
    expect(isAwsError(missingSecret, 'ResourceNotFoundException')).toBe(true);
    const missingParameter = await thrown(() => clients().ssm.send(new GetParameterCommand({ Name: '/nope' })));
    expect(classifyAwsError(missingParameter)).toBe('client');
    expect(isAwsError(missingParameter, 'ParameterNotFound')).toBe(true);
    expect(isAwsError(missingParameter, 'ParameterAlreadyExists')).toBe(false);
  });

  it('our own per-attempt abort is transient', async () => {
    aws.injectFault('GetSecretValue', { kind: 'slow', ms: 200 }, { times: 1 });
    const error = await thrown(() =>
      clients().secrets.send(new GetSecretValueCommand({ SecretId: 'token' }), { abortSignal: AbortSignal.timeout(20) }),
    );
    expect(classifyAwsError(error)).toBe('transient');
  });

  it('describes a failure by name, code and status only', async () => {
    aws.injectFault('GetSecretValue', { kind: 'access-denied' }, { times: 1 });
    expect(describeAwsError(await thrown(getSecret()))).toBe('AccessDeniedException HTTP 400');
  });
});

describe('classifyAwsError on shapes', () => {
  const foreign = (source: string): unknown => runInNewContext(source);

  it('is duck-typed: errors from another realm are classified like ours', () => {
    const throttled = foreign(`Object.assign(new Error('slow down'), { name: 'ThrottlingException' })`);
    expect(throttled instanceof Error).toBe(false);
    expect(classifyAwsError(throttled)).toBe('throttled');
    expect(
      classifyAwsError(foreign(`Object.assign(new Error('x'), { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } })`)),
    ).toBe('transient');
    expect(classifyAwsError(foreign(`Object.assign(new Error('x'), { name: 'Whatever', $metadata: { httpStatusCode: 404 } })`))).toBe(
      'client',
    );
    expect(classifyAwsError(foreign(`Object.assign(new Error('x'), { name: 'Error', code: 'ECONNRESET' })`))).toBe('transient');
  });

  it('puts the known permanent errors first (a Secrets Manager version quota is not throttling)', () => {
    expect(classifyAwsError(Object.assign(new Error('quota'), { name: 'LimitExceededException' }))).toBe('client');
    expect(classifyAwsError(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))).toBe('client');
  });

  it("honours the SDK's retryable trait", () => {
    expect(classifyAwsError(Object.assign(new Error('x'), { name: 'SomethingNew', $retryable: {} }))).toBe('transient');
    expect(classifyAwsError(Object.assign(new Error('x'), { name: 'SomethingNew', $retryable: { throttling: true } }))).toBe('throttled');
  });

  it('does not guess about anything else', () => {
    for (const value of [new Error('plain'), new TypeError('bug'), undefined, null, 'ThrottlingException', 42, {}]) {
      expect(classifyAwsError(value)).toBe('unknown');
    }
  });
});
