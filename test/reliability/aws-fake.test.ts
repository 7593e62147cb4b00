/**
 * The wire-level AWS fake itself, through the real SDK v3 clients: the fault schedules the
 * reliability suites rely on (the n-th call only, after n clean calls), lost answers, the call
 * hook and outcome observer, SQS's message limits, and robustness against callers that vanish
 * mid-request (which used to be an unhandled rejection: `npm start` would die).
 */
import './support/single-realm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';
import { CallLedger, FaultRouter, startAwsEmulator, type AwsEmulator, type CallOutcome } from './support/aws-fake';

let emulator: AwsEmulator;
let output: CapturedOutput;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  output = captureOutput();
  process.on('unhandledRejection', onUnhandled);
  emulator = await startAwsEmulator();
  emulator.putSecret('token', '{"token":"t"}');
  emulator.createQueue('q');
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  output.restore();
  await emulator.close();
});

const clients = () => {
  const config = {
    endpoint: emulator.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  };
  return { sm: new SecretsManagerClient(config), eb: new EventBridgeClient(config), sqs: new SQSClient(config) };
};
const read = (sm: SecretsManagerClient) =>
  sm.send(new GetSecretValueCommand({ SecretId: 'token' })).then(
    () => 'ok',
    (error: Error) => error.name,
  );

describe('the AWS fake', () => {
  it('applies a fault to the n-th call only (skip, times)', async () => {
    const { sm } = clients();
    emulator.injectFault('GetSecretValue', { kind: 'throttle' }, { skip: 2, times: 1 });
    expect([await read(sm), await read(sm), await read(sm), await read(sm)]).toEqual(['ok', 'ok', 'ThrottlingException', 'ok']);
  });

  it('loses the answer of a call that took effect, and tells the observer', async () => {
    const { eb } = clients();
    const router = new FaultRouter(emulator);
    const outcomes: CallOutcome[] = [];
    router.onOutcome((_, outcome) => outcomes.push(outcome));
    const ledger = new CallLedger(router);
    router.inject('PutEvents', 'bus-lost', { kind: 'lost-answer' }, { times: 1 });
    const before = emulator.events().length;
    const entry = { Source: 'amani', DetailType: 'x', EventBusName: 'bus-lost', Detail: '{"metadata":{"deliveryId":"d-1"}}' };
    await expect(eb.send(new PutEventsCommand({ Entries: [entry] }))).rejects.toThrow();
    await eb.send(new PutEventsCommand({ Entries: [entry] }));
    expect(emulator.events().length - before).toBe(2);
    expect(outcomes).toEqual(['answer-lost', 'answered']);
    expect(ledger.allowedCopies('d-1')).toBe(2);
    router.detach();
  });

  it('refuses what SQS refuses: characters outside its set, and messages over 1 MiB', async () => {
    const { sqs } = clients();
    const url = emulator.queueUrl('q');
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a\uffffb' }))).rejects.toMatchObject({
      name: 'InvalidMessageContents',
    });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1024 * 1024 + 1) }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `ok \u{1f600} \t\n` }))).resolves.toMatchObject({
      MessageId: expect.any(String),
    });
  });

  it('survives callers that vanish mid-request, and does not emulate Object.prototype', async () => {
    const { port } = new URL(emulator.endpoint);
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write('POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSEvents.PutEvents\r\nContent-Length: 1000\r\n\r\n{"Entries":');
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 20);
        });
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
    const answer = await fetch(emulator.endpoint, { method: 'POST', headers: { 'X-Amz-Target': 'constructor.toString' }, body: '{}' });
    expect(answer.status).toBe(400);
    expect(await read(clients().sm)).toBe('ok');
  });
});
