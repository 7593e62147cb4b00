/**
 * The example consumer's CDK app: a rule on the imported amani-webhooks bus whose pattern selects
 * approvals in both spellings (checked against the sample events with EventBridge's matching), a
 * Lambda target with a retry policy and a dead-letter queue, Lambda's own retries ending in the
 * same queue, and the idempotency table the function may use. One synthesis really bundles.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { matchesEventPattern, type EventPattern } from '@amani-webhooks/events';
import { ConsumerStack } from '../lib/consumer-stack';

process.env.CDK_VALIDATION = 'false';
const BUS_ARN = 'arn:aws:events:eu-west-1:123456789012:event-bus/amani-webhooks-prod';
type Resource = { Type: string; Properties: Record<string, any> };
const sample = (name: string) => JSON.parse(readFileSync(join(__dirname, 'events', `${name}.json`), 'utf8')) as Record<string, unknown>;

function synth(options: { eventSource?: string } = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ConsumerStack(app, 'Consumer', {
    eventBusArn: BUS_ARN,
    ...(options.eventSource ? { eventSource: options.eventSource } : {}),
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  return { stack, template: Template.fromStack(stack) };
}

describe('the consumer stack', () => {
  const { template } = synth();
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  /** The one resource of a type: its logical id and itself. */
  const one = (type: string): [string, Resource] => {
    const found = ofType(type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0]!;
  };

  it('puts a rule on the amani-webhooks bus selecting profile approvals, in both spellings, and nothing else', () => {
    const [, rule] = one('AWS::Events::Rule');
    expect(rule.Properties.EventBusName).toBe('amani-webhooks-prod');
    const pattern = rule.Properties.EventPattern as EventPattern;
    expect(pattern).toEqual({
      source: ['amani'],
      'detail-type': ['profile_status_change'],
      detail: { data: { profile: { status: ['APPROVED', 'Approved'] } } },
    });
    expect(matchesEventPattern(pattern, sample('profile-approved'))).toBe(true);
    expect(matchesEventPattern(pattern, sample('profile-approved-title-case'))).toBe(true);
    expect(matchesEventPattern(pattern, sample('profile-rejected'))).toBe(false);
    expect(matchesEventPattern(pattern, { ...sample('profile-approved'), 'detail-type': 'profile_update' })).toBe(false);
    synth({ eventSource: 'kyc.amani' }).template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['kyc.amani'] }),
    });
  });

  it('targets the function with a retry policy, and keeps what EventBridge cannot deliver in the dead-letter queue', () => {
    const [queueId] = one('AWS::SQS::Queue');
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        }),
      ],
    });
    // EventBridge may write to the queue, only for this rule.
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProfileApproved'), 'Arn'] } } },
          }),
        ]),
      }),
    });
  });

  it("keeps what the function fails on after Lambda's two retries in the same queue", () => {
    const [queueId] = one('AWS::SQS::Queue');
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      Environment: { Variables: Match.objectLike({ IDEMPOTENCY_TABLE: Match.anyValue(), AMANI_EVENT_SOURCE: 'amani' }) },
    });
    const [, queue] = one('AWS::SQS::Queue');
    expect(queue.Properties).toMatchObject({ MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true });
  });

  it('gives the function its idempotency table (key id, TTL expiration) and no other data', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
    });
    const [tableId] = one('AWS::DynamoDB::Table');
    const statements = ofType('AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Resource['Properties'][]);
    const dynamo = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
    expect(dynamo.length).toBeGreaterThan(0);
    for (const statement of dynamo)
      expect([statement.Resource].flat()).toEqual(expect.arrayContaining([{ 'Fn::GetAtt': [tableId, 'Arn'] }]));
  });

  it('bundles the handler with the consumer package and Powertools (esbuild, no Docker)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'consumer-synth-'));
    const app = new App({ outdir });
    // CDK announces each bundling on the console; keep it out of the test run's output.
    const printed: string[] = [];
    const writes = { out: process.stdout.write, err: process.stderr.write };
    const capture = ((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    let assembly: ReturnType<App['synth']>;
    try {
      // Bundling happens when the function is constructed.
      new ConsumerStack(app, 'Consumer', { eventBusArn: BUS_ARN, env: { account: '123456789012', region: 'eu-west-1' } });
      assembly = app.synth();
    } finally {
      process.stdout.write = writes.out;
      process.stderr.write = writes.err;
    }
    expect(printed.join('')).toContain('Bundling asset Consumer/ApprovedProfiles/Code/Stage...');
    const bundles = readdirSync(assembly.directory).filter((entry) => entry.startsWith('asset.'));
    expect(bundles).toHaveLength(1);
    const code = readFileSync(join(assembly.directory, bundles[0]!, 'index.js'), 'utf8');
    expect(code).toContain('is not known to this version of @amani-webhooks/events');
    expect(code).toContain('detail.metadata.deliveryId');
  }, 60_000);
});
