/**
 * The resource policies of the stack, evaluated against requests (test/helpers/iam-policy.ts):
 * who may write the token secret, who may put the product's events on the bus, who may reach the
 * API when it has an allowlist. Resource policies decide these whatever the caller's own IAM
 * policies allow, administrators and the account root included.
 */
import { describe, expect, test } from '@jest/globals';
import { TOKEN_WRITE_ACTIONS } from '../../infra/constructs/token-secrets';
import { type PolicyRequest, type PolicyStatement, resourcePolicyDecision } from '../helpers/iam-policy';
import { functionRole, getAtt, logicalId, resolveIntrinsics, resources, stackResourceIds, synthesize } from './stack-harness';

const STACK = 'AmaniWebhooks-dev';
const ACCOUNT_ROOT = 'arn:aws:iam::123456789012:root';
const ADMIN = 'arn:aws:iam::123456789012:role/Admin';
const CDK_DEPLOY = 'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1';

describe('the default stack', () => {
  const { template } = synthesize();
  const all = resources(template);
  const id = stackResourceIds(template);
  const resolve = (value: unknown) => resolveIntrinsics(template, value, STACK);
  const roleOf = (fn: string) => resolve(getAtt(functionRole(template, fn)));
  const roles = {
    receiver: roleOf(id.receiver),
    rotator: roleOf(id.rotator),
    registration: roleOf(id.registration),
    operator: resolve(getAtt(logicalId(template, 'AWS::IAM::Role', 'OperatorRole'))),
  };
  /** A policy's statements with every intrinsic resolved as a deployment would. */
  const statementsOf = (document: unknown): PolicyStatement[] =>
    JSON.parse(JSON.stringify(document), (_key, value) =>
      value && typeof value === 'object' && !Array.isArray(value) && ('Ref' in value || 'Fn::GetAtt' in value || 'Fn::Join' in value)
        ? resolve(value)
        : value,
    ).Statement;

  describe('token secret: only the rotator writes it', () => {
    const [policy, ...others] = Object.values(all).filter((resource) => resource.Type === 'AWS::SecretsManager::ResourcePolicy');
    const statements = statementsOf(policy!.Properties!.ResourcePolicy);
    const tokenSecret = resolve({ Ref: id.tokenSecret });
    const request = (action: string, principal: string): PolicyRequest => ({
      action,
      resource: tokenSecret,
      context: { 'aws:PrincipalArn': principal, 'aws:PrincipalIsAWSService': 'false' },
    });

    test("one policy, on the token secret (the credentials secret is the operator's)", () => {
      expect(others).toHaveLength(0);
      expect(policy!.Properties!.SecretId).toEqual({ Ref: id.tokenSecret });
    });

    test.each(TOKEN_WRITE_ACTIONS)('%s: the rotator only; denied to everyone else, administrators and deployments included', (action) => {
      expect(resourcePolicyDecision(statements, request(action, roles.rotator))).toBe('no opinion');
      for (const principal of [roles.registration, roles.receiver, roles.operator, ADMIN, ACCOUNT_ROOT, CDK_DEPLOY]) {
        expect({ principal, decision: resourcePolicyDecision(statements, request(action, principal)) }).toEqual({
          principal,
          decision: 'deny',
        });
      }
    });

    test('reading, describing and the break-glass path (replacing the policy) are left to IAM', () => {
      for (const action of [
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetResourcePolicy',
        'secretsmanager:DeleteResourcePolicy',
        'secretsmanager:PutResourcePolicy',
      ]) {
        expect({ action, decision: resourcePolicyDecision(statements, request(action, ADMIN)) }).toEqual({
          action,
          decision: 'no opinion',
        });
      }
    });

    test('the write actions are every action that puts a value or moves AWSCURRENT', () => {
      expect([...TOKEN_WRITE_ACTIONS].sort()).toEqual([
        'secretsmanager:PutSecretValue',
        'secretsmanager:RotateSecret',
        'secretsmanager:UpdateSecret',
        'secretsmanager:UpdateSecretVersionStage',
      ]);
    });
  });

  describe("event bus: the product's source from the receiver and the operator role only", () => {
    const bus = all[id.bus]!.Properties!;
    const statements = statementsOf(bus.Policy);
    const busArn = 'arn:aws:events:eu-west-1:123456789012:event-bus/amani-webhooks-dev';
    const put = (principal: string, sources: string | string[], service = false): PolicyRequest => ({
      action: 'events:PutEvents',
      resource: busArn,
      context: { 'aws:PrincipalArn': principal, 'events:source': sources, 'aws:PrincipalIsAWSService': String(service) },
    });

    test('the receiver and the operator role may put events of source "amani"', () => {
      expect(resourcePolicyDecision(statements, put(roles.receiver, 'amani'))).toBe('no opinion');
      expect(resourcePolicyDecision(statements, put(roles.operator, ['amani', 'amani']))).toBe('no opinion');
    });

    test('anyone else is denied that source, alone or in a batch, administrators and the account root included', () => {
      for (const principal of [roles.rotator, roles.registration, ADMIN, ACCOUNT_ROOT, CDK_DEPLOY]) {
        expect({ principal, decision: resourcePolicyDecision(statements, put(principal, 'amani')) }).toEqual({
          principal,
          decision: 'deny',
        });
      }
      expect(resourcePolicyDecision(statements, put(ADMIN, ['billing', 'amani']))).toBe('deny');
    });

    test('other sources, and AWS services acting as themselves, are left to IAM', () => {
      expect(resourcePolicyDecision(statements, put(ADMIN, 'billing'))).toBe('no opinion');
      expect(resourcePolicyDecision(statements, put('arn:aws:iam::123456789012:role/events-service', 'amani', true))).toBe('no opinion');
    });

    test('follows eventSource', () => {
      const { template: kyc } = synthesize({ eventSource: 'kyc.amani' });
      const busId = stackResourceIds(kyc).bus;
      const [statement] = (resources(kyc)[busId]!.Properties!.Policy as { Statement: PolicyStatement[] }).Statement;
      expect(statement!.Condition!['ForAnyValue:StringEquals']).toEqual({ 'events:source': ['kyc.amani'] });
    });
  });

  describe('bus and archive encryption', () => {
    test('both use the stack key; the bus sends what it cannot encrypt or decrypt to its own dead-letter queue', () => {
      const archive = logicalId(template, 'AWS::Events::Archive', 'EventsArchive');
      const deadLetters = logicalId(template, 'AWS::SQS::Queue', 'EventsDeadLetters');
      expect(all[id.bus]!.Properties).toMatchObject({ KmsKeyIdentifier: getAtt(id.key), DeadLetterConfig: { Arn: getAtt(deadLetters) } });
      expect(all[archive]!.Properties!.KmsKeyIdentifier).toEqual(getAtt(id.key));
      // SQS-managed encryption: the stack key is what failed when an event lands here.
      expect(all[deadLetters]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
      const [queuePolicy] = Object.values(all).filter(
        (resource) =>
          resource.Type === 'AWS::SQS::QueuePolicy' &&
          JSON.stringify(resource.Properties!.Queues) === JSON.stringify([{ Ref: deadLetters }]),
      );
      const statements = (queuePolicy!.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': getAtt(id.bus) } },
          }),
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      );
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'amani-webhooks-dev-EventBusDeadLetters',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(deadLetters, 'QueueName') }],
      });
    });
  });

  test('outputs name the operator role', () => {
    template.hasOutput('OperatorRoleArn', { Value: getAtt(logicalId(template, 'AWS::IAM::Role', 'OperatorRole')) });
  });
});

describe('allowedSourceCidrs: the API answers 403 to everyone outside the ranges', () => {
  const { template } = synthesize({ allowedSourceCidrs: '203.0.113.0/24,2001:db8::/32' });
  const api = logicalId(template, 'AWS::ApiGateway::RestApi', 'WebhookApi');
  const statements = (resources(template)[api]!.Properties!.Policy as { Statement: PolicyStatement[] }).Statement;
  const invoke = (sourceIp: string, route = 'POST/webhook'): PolicyRequest => ({
    action: 'execute-api:Invoke',
    resource: `execute-api:/v1/${route}`,
    context: { 'aws:SourceIp': sourceIp, 'aws:PrincipalIsAWSService': 'false' },
  });

  test.each([
    ['203.0.113.7', 'allow'],
    ['203.0.113.255', 'allow'],
    ['203.0.114.1', 'deny'],
    ['198.51.100.7', 'deny'],
    ['2001:db8:1::5', 'allow'],
    ['2001:db9::5', 'deny'],
  ])('POST /webhook from %s: %s', (sourceIp, decision) => {
    expect(resourcePolicyDecision(statements, invoke(sourceIp))).toBe(decision);
  });

  test('other routes are not opened by the policy', () => {
    expect(resourcePolicyDecision(statements, invoke('203.0.113.7', 'GET/webhook'))).toBe('no opinion');
  });
});
