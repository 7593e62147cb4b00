/**
 * The emulator's EventBridge rules with SQS targets, through the real SDK v3 clients: PutRule
 * checks the pattern, a rule with targets cannot be deleted, and an event reaches a queue only
 * when the rule matches and the queue's policy lets EventBridge send from that rule.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DeleteRuleCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { policyAllows } from '../../local/aws-emulator-rules';
import { startAwsEmulator, type AwsEmulator } from '../../local/aws-emulator';
import { queuePolicy } from '../../cli/tail/rule-queue';

let emulator: AwsEmulator;
let eb: EventBridgeClient;
let sqs: SQSClient;

beforeAll(async () => {
  emulator = await startAwsEmulator();
  const config = {
    endpoint: emulator.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    maxAttempts: 1,
  };
  eb = new EventBridgeClient(config);
  sqs = new SQSClient(config);
});
afterAll(() => emulator.close());

const entry = (detailType: string, bus = 'bus-a') => ({
  Source: 'amani',
  DetailType: detailType,
  Detail: '{"metadata":{},"data":{}}',
  EventBusName: bus,
});

async function ruleToQueue(name: string, pattern: object, policy: (queueArn: string, ruleArn: string) => string | undefined) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const { RuleArn } = await eb.send(new PutRuleCommand({ Name: name, EventBusName: 'bus-a', EventPattern: JSON.stringify(pattern) }));
  const text = policy(Attributes!.QueueArn!, RuleArn!);
  if (text) await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: text } }));
  await eb.send(new PutTargetsCommand({ Rule: name, EventBusName: 'bus-a', Targets: [{ Id: 't', Arn: Attributes!.QueueArn! }] }));
  return { QueueUrl: QueueUrl!, RuleArn: RuleArn!, queueArn: Attributes!.QueueArn! };
}

const received = async (QueueUrl: string) =>
  ((await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages ?? []).map(
    (m) => (JSON.parse(m.Body!) as { 'detail-type': string })['detail-type'],
  );

describe('EventBridge rules with SQS targets', () => {
  it('deliver the matching events of their own bus, as EventBridge events, when the queue policy allows the rule', async () => {
    const { QueueUrl, RuleArn } = await ruleToQueue('allowed', { source: ['amani'], 'detail-type': ['document_upload'] }, queuePolicy);
    expect(RuleArn).toBe('arn:aws:events:eu-west-1:000000000000:rule/bus-a/allowed');
    await eb.send(
      new PutEventsCommand({ Entries: [entry('profile_create'), entry('document_upload'), entry('document_upload', 'bus-b')] }),
    );
    expect(await received(QueueUrl)).toEqual(['document_upload']);
  });

  it('deliver nothing without a policy, or with one for another rule; EventBridge counts those as failed invocations', async () => {
    const before = emulator.rules.failedInvocations.count;
    const none = await ruleToQueue('no-policy', { source: ['amani'] }, () => undefined);
    const other = await ruleToQueue('other-rule', { source: ['amani'] }, (queueArn) =>
      queuePolicy(queueArn, 'arn:aws:events:eu-west-1:000000000000:rule/bus-a/someone-else'),
    );
    await eb.send(new PutEventsCommand({ Entries: [entry('profile_update')] }));
    expect(await received(none.QueueUrl)).toEqual([]);
    expect(await received(other.QueueUrl)).toEqual([]);
    expect(emulator.rules.failedInvocations.count).toBe(before + 2);
  });

  it('refuse an invalid pattern, and deleting a rule that still has targets', async () => {
    await expect(
      eb.send(new PutRuleCommand({ Name: 'bad', EventBusName: 'bus-a', EventPattern: '{"source": "amani"}' })),
    ).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
    });
    await expect(eb.send(new PutRuleCommand({ Name: 'bad', EventBusName: 'bus-a', EventPattern: 'not json' }))).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
    });
    await expect(eb.send(new DeleteRuleCommand({ Name: 'allowed', EventBusName: 'bus-a' }))).rejects.toThrow(/has targets/);
    await eb.send(new RemoveTargetsCommand({ Rule: 'allowed', EventBusName: 'bus-a', Ids: ['t'] }));
    await eb.send(new DeleteRuleCommand({ Name: 'allowed', EventBusName: 'bus-a' }));
    expect(emulator.rules.rules().map((r) => r.name)).not.toContain('allowed');
    await expect(eb.send(new DeleteRuleCommand({ Name: 'allowed', EventBusName: 'bus-a' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('delete queues: a deleted queue is gone for every operation', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'short-lived' }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    await expect(sqs.send(new ReceiveMessageCommand({ QueueUrl }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });
});

describe('policyAllows', () => {
  const queueArn = 'arn:aws:sqs:eu-west-1:000000000000:q';
  const ruleArn = 'arn:aws:events:eu-west-1:000000000000:rule/bus/r';
  const statement = (overrides: object) =>
    JSON.stringify({ Statement: [{ ...JSON.parse(queuePolicy(queueArn, ruleArn)).Statement[0], ...overrides }] });

  it("accepts the tail's own policy, and refuses any of its parts changed", () => {
    expect(policyAllows(queuePolicy(queueArn, ruleArn), queueArn, ruleArn)).toBe(true);
    expect(policyAllows(statement({ Effect: 'Deny' }), queueArn, ruleArn)).toBe(false);
    expect(policyAllows(statement({ Principal: { Service: 'sns.amazonaws.com' } }), queueArn, ruleArn)).toBe(false);
    expect(policyAllows(statement({ Action: 'sqs:ReceiveMessage' }), queueArn, ruleArn)).toBe(false);
    expect(policyAllows(statement({ Resource: 'arn:aws:sqs:eu-west-1:000000000000:other' }), queueArn, ruleArn)).toBe(false);
    expect(policyAllows(statement({ Condition: { ArnEquals: { 'aws:SourceArn': `${ruleArn}x` } } }), queueArn, ruleArn)).toBe(false);
    expect(policyAllows(undefined, queueArn, ruleArn)).toBe(false);
    expect(policyAllows('{', queueArn, ruleArn)).toBe(false);
  });
});
