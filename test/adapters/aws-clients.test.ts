import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { runInNewContext } from 'node:vm';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  CallDeadlineError,
  classifyAwsError,
  clientOptions,
  describeAwsError,
  isAwsError,
  sendWithin,
  withCallDeadlines,
} from '../../lambda/adapters/aws-clients';
import {
  EMULATOR_REGION,
  startAwsEmulator,
  type AwsEmulator,
  type CallOutcome,
  type Fault,
  type Operation,
} from '../../local/aws-emulator';

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
afterEach(() => {
  aws.clearFaults();
  aws.setCallObserver(undefined);
});

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

describe('sendWithin: a deadline per call, without per-call options', () => {
  const sqsClient = (timeouts: { requestTimeoutMs: number; maxAttempts: number }) =>
    new SQSClient({
      ...clientOptions({ connectionTimeoutMs: 500, ...timeouts }),
      endpoint: aws.endpoint,
      region: EMULATOR_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  const message = () => new SendMessageCommand({ QueueUrl: aws.queueUrl('fallback'), MessageBody: 'x' });
  /** How the emulator saw the next SendMessage end. */
  const nextOutcome = () =>
    new Promise<CallOutcome>((resolve) => aws.setCallObserver((call, outcome) => call.operation === 'SendMessage' && resolve(outcome)));

  it('ends the call at its deadline and aborts its request on the wire', async () => {
    const client = withCallDeadlines(sqsClient({ requestTimeoutMs: 2000, maxAttempts: 1 }));
    aws.injectFault('SendMessage', { kind: 'slow', ms: 400 }, { times: 1 });
    const outcome = nextOutcome();
    const started = Date.now();
    const error = await thrown(() => sendWithin(message(), 60, (command) => client.send(command)));
    expect(Date.now() - started).toBeLessThan(300);
    expect(error).toBeInstanceOf(CallDeadlineError);
    expect(classifyAwsError(error)).toBe('transient');
    expect(describeAwsError(error)).toBe('TimeoutError');
    // The socket was closed under the slow answer: the caller had given up.
    expect(await outcome).toBe('answer-lost');
  });

  it('on a client without withCallDeadlines, still ends the call at its deadline, but its request runs on', async () => {
    const client = sqsClient({ requestTimeoutMs: 2000, maxAttempts: 1 });
    aws.injectFault('SendMessage', { kind: 'slow', ms: 200 }, { times: 1 });
    const outcome = nextOutcome();
    const started = Date.now();
    expect(await thrown(() => sendWithin(message(), 60, (command) => client.send(command)))).toBeInstanceOf(CallDeadlineError);
    expect(Date.now() - started).toBeLessThan(180);
    expect(await outcome).toBe('answered');
  });

  it("covers the SDK's own attempts and the backoff between them", async () => {
    // Every attempt times out after 100 ms and is retried by the SDK: three attempts take 300 ms and more.
    const client = withCallDeadlines(sqsClient({ requestTimeoutMs: 100, maxAttempts: 3 }));
    aws.injectFault('SendMessage', { kind: 'slow', ms: 150 }, { times: 3 });
    const started = Date.now();
    expect(await thrown(() => sendWithin(message(), 140, (command) => client.send(command)))).toBeInstanceOf(CallDeadlineError);
    expect(Date.now() - started).toBeLessThan(260);
  });

  it('answers like a plain send when the call ends in time, through the cached middleware stack', async () => {
    // Applied twice (two adapters sharing a client): one middleware, no duplicate-name error.
    const client = withCallDeadlines(withCallDeadlines(sqsClient({ requestTimeoutMs: 2000, maxAttempts: 1 })));
    const send = jest.spyOn(client, 'send');
    for (let index = 0; index < 3; index++) {
      const answer = await sendWithin(message(), 1000, (command) => client.send(command));
      expect(answer.MessageId).toEqual(expect.any(String));
    }
    // No per-call options: the SDK resolves the middleware stack once per command type.
    expect(send.mock.calls.map((call) => call.length)).toEqual([1, 1, 1]);
    expect(client.config.cacheMiddleware).toBe(true);
  });

  it('hands the deadline to the transport, and passes the rest of the transport interface through', async () => {
    const aborted: boolean[] = [];
    const transport = {
      handle: (_request: unknown, options?: { abortSignal?: AbortSignal }) =>
        new Promise<never>((_, reject) => {
          options?.abortSignal?.addEventListener('abort', () => {
            aborted.push(true);
            reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
          });
        }),
      destroy: jest.fn(),
    };
    const client = new SQSClient({
      ...clientOptions({ connectionTimeoutMs: 500, requestTimeoutMs: 2000, maxAttempts: 1 }),
      endpoint: aws.endpoint,
      region: EMULATOR_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: transport as never,
    });
    withCallDeadlines(client);
    expect(await thrown(() => sendWithin(message(), 30, (command) => client.send(command)))).toBeInstanceOf(CallDeadlineError);
    expect(aborted).toEqual([true]);
    client.destroy();
    expect(transport.destroy).toHaveBeenCalledTimes(1);
  });
});
