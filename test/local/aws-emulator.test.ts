import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DescribeReplayCommand, EventBridgeClient, PutEventsCommand, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAwsEmulator, type AwsEmulator } from '../../local/aws-emulator';

let emulator: AwsEmulator;
let dataDir: string;
const clients = () => {
  const config = {
    endpoint: emulator.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  };
  return {
    sm: new SecretsManagerClient(config),
    eb: new EventBridgeClient(config),
    sqs: new SQSClient(config),
    ssm: new SSMClient(config),
    lambda: new LambdaClient(config),
  };
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'aws-emulator-'));
  emulator = await startAwsEmulator({ dataDir });
  emulator.createQueue('fallback');
});
afterAll(() => emulator.close());

describe('EventBridge archive and replay through the real SDK client', () => {
  let own: AwsEmulator;
  let ownDir: string;
  beforeAll(async () => {
    ownDir = mkdtempSync(join(tmpdir(), 'aws-emulator-replay-'));
    own = await startAwsEmulator({ dataDir: ownDir });
  });
  afterAll(() => own.close());

  it('replays the archived events of a window onto the bus, with replay-name and progress; refuses what EventBridge refuses', async () => {
    const emulator = own;
    const eb = new EventBridgeClient({
      endpoint: own.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const archiveArn = emulator.createArchive({ name: 'archive-r', busName: 'bus-r', source: 'amani' });
    const entry = (source: string, n: number) => ({
      Source: source,
      DetailType: 'profile_status_change',
      Detail: `{"n":${n}}`,
      EventBusName: 'bus-r',
    });
    await eb.send(new PutEventsCommand({ Entries: [entry('amani', 1), entry('other', 2), entry('amani', 3)] }));
    await eb.send(new PutEventsCommand({ Entries: [{ ...entry('amani', 4), EventBusName: 'another-bus' }] }));
    const from = new Date(Date.now() - 60_000);
    const to = new Date(Date.now() + 1000);
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const started = await eb.send(
      new StartReplayCommand({
        ReplayName: 'r-1',
        EventSourceArn: archiveArn,
        EventStartTime: from,
        EventEndTime: to,
        Destination: { Arn: emulator.busArn('bus-r') },
      }),
    );
    expect(started.State).toBe('STARTING');
    const states: string[] = [];
    let described = await eb.send(new DescribeReplayCommand({ ReplayName: 'r-1' }));
    while (described.State !== 'COMPLETED') {
      states.push(described.State ?? '');
      await new Promise((resolve) => setTimeout(resolve, 10));
      described = await eb.send(new DescribeReplayCommand({ ReplayName: 'r-1' }));
    }
    expect(states).toContain('RUNNING');
    expect(described).toMatchObject({ EventSourceArn: archiveArn, EventStartTime: from, EventEndTime: to });
    expect(described.EventLastReplayedTime).toBeInstanceOf(Date);
    const replayed = emulator.events().filter((event) => event['replay-name'] === 'r-1');
    expect(replayed.map((event) => event.detail)).toEqual([{ n: 1 }, { n: 3 }]);
    const originals = emulator.events().filter((event) => event['event-bus-name'] === 'bus-r' && !event['replay-name']);
    expect(replayed.map((event) => event.id)).not.toEqual(expect.arrayContaining([originals[0]!.id]));

    const refused = (input: Partial<ConstructorParameters<typeof StartReplayCommand>[0]>) =>
      eb
        .send(
          new StartReplayCommand({
            ReplayName: 'r-2',
            EventSourceArn: archiveArn,
            EventStartTime: from,
            EventEndTime: to,
            Destination: { Arn: emulator.busArn('bus-r') },
            ...input,
          }),
        )
        .then(
          () => 'started',
          (error: Error) => error.name,
        );
    expect(await refused({ ReplayName: 'r-1' })).toBe('ResourceAlreadyExistsException');
    expect(await refused({ EventSourceArn: archiveArn.replace('archive-r', 'none') })).toBe('ResourceNotFoundException');
    expect(await refused({ EventEndTime: new Date(Date.now() + 3600_000) })).toBe('ValidationException');
    expect(await refused({ EventEndTime: from })).toBe('ValidationException');
    expect(await refused({ Destination: { Arn: emulator.busArn('another-bus') } })).toBe('ValidationException');
    expect(await refused({ Destination: { Arn: emulator.busArn('bus-r'), FilterArns: ['arn:aws:events:eu-west-1:0:rule/bus-r/x'] } })).toBe(
      'ResourceNotFoundException',
    );
    // A replayed event is not archived again: a second replay of the window replays the two originals only.
    await eb.send(
      new StartReplayCommand({
        ReplayName: 'r-3',
        EventSourceArn: archiveArn,
        EventStartTime: from,
        EventEndTime: to,
        Destination: { Arn: emulator.busArn('bus-r') },
      }),
    );
    while ((await eb.send(new DescribeReplayCommand({ ReplayName: 'r-3' }))).State !== 'COMPLETED')
      await new Promise((r) => setTimeout(r, 10));
    expect(emulator.events().filter((event) => event['replay-name'] === 'r-3')).toHaveLength(2);
    const lines = readFileSync(join(ownDir, 'events.jsonl'), 'utf8').trim().split('\n');
    expect(lines.filter((line) => line.includes('"replay-name":"r-1"'))).toHaveLength(2);
  });
});

describe('AWS emulator through the real SDK v3 clients', () => {
  it('stores secret versions with ClientRequestToken idempotency', async () => {
    const { sm } = clients();
    emulator.putSecret('token', '{}');
    await sm.send(
      new PutSecretValueCommand({
        SecretId: 'token',
        SecretString: '{"token":"a"}',
        ClientRequestToken: 'b9a6f8f0-0000-4000-8000-000000000001',
      }),
    );
    await sm.send(
      new PutSecretValueCommand({
        SecretId: 'token',
        SecretString: '{"token":"a"}',
        ClientRequestToken: 'b9a6f8f0-0000-4000-8000-000000000001',
      }),
    );
    await expect(
      sm.send(
        new PutSecretValueCommand({
          SecretId: 'token',
          SecretString: '{"token":"b"}',
          ClientRequestToken: 'b9a6f8f0-0000-4000-8000-000000000001',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceExistsException' });
    const answer = await sm.send(new GetSecretValueCommand({ SecretId: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:token' }));
    expect(answer.SecretString).toBe('{"token":"a"}');
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'missing' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).token).toHaveLength(2);
  });

  it('accepts events, reports per-entry failures, and appends them to events.jsonl', async () => {
    const { eb } = clients();
    const ok = await eb.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'amani', DetailType: 'x', Detail: '{"a":1}', EventBusName: 'bus' },
          { Source: 'amani', DetailType: 'x', Detail: '[1]' },
        ],
      }),
    );
    expect(ok.FailedEntryCount).toBe(1);
    expect(ok.Entries?.[0]?.EventId).toBeDefined();
    expect(ok.Entries?.[1]?.ErrorCode).toBe('MalformedDetail');
    emulator.injectFault('PutEvents', { kind: 'partial', errorCode: 'ThrottlingException' }, { times: 1 });
    const partial = await eb.send(new PutEventsCommand({ Entries: [{ Source: 'amani', DetailType: 'x', Detail: '{}' }] }));
    expect(partial.Entries?.[0]?.ErrorCode).toBe('ThrottlingException');
    const lines = readFileSync(join(dataDir, 'events.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).detail)).toEqual([{ a: 1 }]);
  });

  it('turns injected faults into the errors the SDK classifies', async () => {
    const { eb, sm } = clients();
    emulator.injectFault('PutEvents', { kind: 'throttle' }, { times: 1 });
    await expect(eb.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] }))).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    emulator.injectFault('GetSecretValue', { kind: 'server-error' }, { times: 1 });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'token' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    emulator.injectFault('GetSecretValue', { kind: 'reset' }, { times: 1 });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'token' }))).rejects.toThrow();
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'token' }))).resolves.toMatchObject({ SecretString: '{"token":"a"}' });
  });

  it('runs a queue with visibility timeouts and batch deletes (MD5s checked by the SDK)', async () => {
    const { sqs } = clients();
    const url = emulator.queueUrl('fallback');
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: '{"n":"Zoë 😀"}',
        MessageAttributes: { deliveryId: { DataType: 'String', StringValue: 'd1' } },
      }),
    );
    const first = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 30, MessageAttributeNames: ['All'] }),
    );
    expect(first.Messages?.map((m) => m.Body)).toEqual(['{"n":"Zoë 😀"}']);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? []).toHaveLength(0);
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    expect(attributes.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1' });
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: '1', ReceiptHandle: first.Messages![0]!.ReceiptHandle! }] }),
    );
    expect(deleted.Successful).toEqual([{ Id: '1' }]);
    expect(emulator.queueMessages('fallback')).toHaveLength(0);
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: emulator.queueUrl('nope'), MessageBody: 'x' }))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
  });

  it('keeps SSM parameters (create-if-absent, versions) in parameters.json', async () => {
    const { ssm } = clients();
    await ssm.send(new PutParameterCommand({ Name: '/x/claim', Value: 'one', Type: 'String' }));
    await expect(ssm.send(new PutParameterCommand({ Name: '/x/claim', Value: 'two', Type: 'String' }))).rejects.toMatchObject({
      name: 'ParameterAlreadyExists',
    });
    const overwritten = await ssm.send(new PutParameterCommand({ Name: '/x/claim', Value: 'two', Type: 'String', Overwrite: true }));
    expect(overwritten.Version).toBe(2);
    expect((await ssm.send(new GetParameterCommand({ Name: '/x/claim' }))).Parameter).toMatchObject({
      Value: 'two',
      Version: 2,
      ARN: 'arn:aws:ssm:eu-west-1:000000000000:parameter/x/claim',
    });
    await expect(ssm.send(new GetParameterCommand({ Name: '/x/none' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
    await expect(ssm.send(new PutParameterCommand({ Name: 'x/relative', Value: 'v', Type: 'String' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    expect(JSON.parse(readFileSync(join(dataDir, 'parameters.json'), 'utf8'))['/x/claim']).toMatchObject({ Value: 'two' });
  });

  it('invokes in-process functions as Lambda does: result, function error, unknown function, asynchronous', async () => {
    const { lambda } = clients();
    const seen: unknown[] = [];
    emulator.registerFunction('echo', async (payload) => {
      seen.push(payload);
      if ((payload as { fail?: boolean }).fail) throw Object.assign(new Error('told to fail'), { name: 'RotationError' });
      return { got: payload };
    });
    const ok = await lambda.send(
      new InvokeCommand({ FunctionName: 'arn:aws:lambda:eu-west-1:000000000000:function:echo', Payload: Buffer.from('{"a":1}') }),
    );
    expect(ok.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(ok.Payload!).toString())).toEqual({ got: { a: 1 } });
    const failed = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"fail":true}') }));
    expect(failed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(failed.Payload!).toString())).toMatchObject({ errorType: 'RotationError', errorMessage: 'told to fail' });
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    const queued = await lambda.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: Buffer.from('{"b":2}') }));
    expect(queued.StatusCode).toBe(202);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([{ a: 1 }, { fail: true }, { b: 2 }]);
  });
});
