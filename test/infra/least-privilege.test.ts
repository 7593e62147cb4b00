/**
 * Least privilege, asserted as exact sets: every statement each role holds is listed here, so a
 * new permission fails this test until someone decides it belongs.
 */
import { describe, expect, test } from '@jest/globals';
import {
  functionRole,
  getAtt,
  logicalId,
  ref,
  regionalArn,
  resources,
  roleGrants,
  synthesize,
  type NormalisedStatement,
  stackResourceIds,
} from './stack-harness';

const viaService = (service: string) => ({
  'Fn::Join': ['', [`${service}.`, { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
});

/** JSON with sorted object keys, so that statements compare regardless of key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function expectExactly(actual: NormalisedStatement[], expected: NormalisedStatement[]): void {
  const normalise = (statements: NormalisedStatement[]) =>
    statements.map((statement) => canonical({ ...statement, actions: [...statement.actions].sort() })).sort();
  expect(normalise(actual)).toEqual(normalise(expected));
}

/** An SSM parameter ARN of this stack's account and region (`name` without the leading slash). */
const parameterArn = (name: string) => regionalArn('ssm', `parameter/${name}`);

const allow = (actions: string[], resource: unknown, condition?: unknown): NormalisedStatement => ({
  actions: [...actions].sort(),
  resources: [resource],
  effect: 'Allow',
  ...(condition ? { condition } : {}),
});

describe('least privilege (default configuration: credentials secret created by the stack)', () => {
  const { template } = synthesize();
  const id = stackResourceIds(template);
  const logs = (fn: string) => {
    const group = (resources(template)[fn]!.Properties!.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    return allow(['logs:CreateLogStream', 'logs:PutLogEvents'], getAtt(group));
  };
  const secretKms = (actions: string[], secret: string) =>
    allow(actions, getAtt(id.key), {
      StringEquals: { 'kms:ViaService': viaService('secretsmanager'), 'kms:EncryptionContext:SecretARN': ref(secret) },
    });

  test('the receiver may only read the token secret, put events on its bus, send to its fallback queue and use its ledger items', () => {
    const grants = roleGrants(template, functionRole(template, id.receiver));
    expect(grants.managedPolicies).toEqual([]);
    expectExactly(grants.statements, [
      logs(id.receiver),
      allow(['secretsmanager:GetSecretValue'], ref(id.tokenSecret)),
      secretKms(['kms:Decrypt'], id.tokenSecret),
      // Events of the product's source only (the bus policy refuses that source to anyone else).
      allow(['events:PutEvents'], getAtt(id.bus), { 'ForAllValues:StringEquals': { 'events:source': ['amani'] } }),
      allow(['sqs:SendMessage'], getAtt(id.fallback)),
      allow(['kms:GenerateDataKey', 'kms:Decrypt'], getAtt(id.key), {
        StringEquals: { 'kms:ViaService': viaService('sqs'), 'kms:EncryptionContext:aws:sqs:arn': getAtt(id.fallback) },
      }),
      // The ledger: the four item operations of the deduplication protocol, on its table only (no Query, no Scan).
      allow(['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], getAtt(id.ledger)),
      allow(['kms:Decrypt', 'kms:GenerateDataKey'], getAtt(id.key), {
        StringEquals: { 'kms:ViaService': viaService('dynamodb'), 'kms:EncryptionContext:aws:dynamodb:tableName': ref(id.ledger) },
      }),
    ]);
  });

  test("the ledger's read policy (for operators) may only read items and query the time index", () => {
    const policy = resources(template)[id.ledgerReadPolicy]!.Properties!.PolicyDocument as {
      Statement: { Action: string | string[]; Resource: unknown; Condition?: unknown }[];
    };
    expect(policy.Statement.map((s) => ({ actions: [s.Action].flat().sort(), resource: s.Resource, condition: s.Condition }))).toEqual([
      {
        actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
        resource: [getAtt(id.ledger), { 'Fn::Join': ['', [getAtt(id.ledger), '/index/byDay']] }],
        condition: undefined,
      },
      {
        actions: ['kms:Decrypt'],
        resource: getAtt(id.key),
        condition: {
          StringEquals: { 'kms:ViaService': viaService('dynamodb'), 'kms:EncryptionContext:aws:dynamodb:tableName': ref(id.ledger) },
        },
      },
    ]);
    // Attached to nobody by the stack: the operator's administrator attaches it.
    expect(resources(template)[id.ledgerReadPolicy]!.Properties!.Roles).toBeUndefined();
  });

  test('the rotator may only read/write the token secret, read the credentials secret and the account claims (plus report its failed runs)', () => {
    const grants = roleGrants(template, functionRole(template, id.rotator));
    expect(grants.managedPolicies).toEqual([]);
    expectExactly(grants.statements, [
      logs(id.rotator),
      allow(['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], ref(id.tokenSecret)),
      secretKms(['kms:Decrypt', 'kms:GenerateDataKey'], id.tokenSecret),
      allow(['secretsmanager:GetSecretValue'], ref(id.credentials)),
      secretKms(['kms:Decrypt'], id.credentials),
      // The asynchronous on-failure destination: Lambda sends the failure record with this role.
      allow(['sqs:SendMessage'], getAtt(id.failures)),
      // A rotation checks who claimed the Amani account; it never writes a claim.
      allow(['ssm:GetParameter'], parameterArn('amani-webhooks/account-claims/*')),
    ]);
  });

  test('the registration may only read the credentials secret, invoke the rotator and manage the account claims', () => {
    const grants = roleGrants(template, functionRole(template, id.registration));
    expect(grants.managedPolicies).toEqual([]);
    expectExactly(grants.statements, [
      logs(id.registration),
      allow(['secretsmanager:GetSecretValue'], ref(id.credentials)),
      secretKms(['kms:Decrypt'], id.credentials),
      allow(['lambda:InvokeFunction'], getAtt(id.rotator)),
      allow(['ssm:DeleteParameter', 'ssm:GetParameter', 'ssm:PutParameter'], parameterArn('amani-webhooks/account-claims/*')),
      allow(['ssm:GetParametersByPath'], parameterArn('amani-webhooks/account-claims')),
    ]);
  });

  test('the scheduler role may only invoke the rotator and dead-letter to the failure queue', () => {
    const role = logicalId(template, 'AWS::IAM::Role', 'RotationSchedulerRole');
    const grants = roleGrants(template, role);
    expectExactly(grants.statements, [
      {
        actions: ['lambda:InvokeFunction'],
        resources: [getAtt(id.rotator), { 'Fn::Join': ['', [getAtt(id.rotator), ':*']] }],
        effect: 'Allow',
      },
      allow(['sqs:SendMessage'], getAtt(id.failures)),
    ]);
    const trust = resources(template)[role]!.Properties!.AssumeRolePolicyDocument as {
      Statement: { Principal: unknown; Condition: unknown }[];
    };
    expect(trust.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': expect.anything() } },
      }),
    ]);
  });

  test("the operator role may only find the stack, redrive the fallback queue, put the product's events on the bus and replay its archive", () => {
    const role = logicalId(template, 'AWS::IAM::Role', 'OperatorRole');
    const grants = roleGrants(template, role);
    expect(grants.managedPolicies).toEqual([]);
    const archive = logicalId(template, 'AWS::Events::Archive', 'EventsArchive');
    const replays = regionalArn('events', 'replay/amani-webhooks-dev-*');
    expectExactly(grants.statements, [
      allow(['cloudformation:DescribeStacks'], { Ref: 'AWS::StackId' }),
      allow(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'], getAtt(id.fallback)),
      allow(['kms:Decrypt'], getAtt(id.key), {
        StringEquals: { 'kms:ViaService': viaService('sqs'), 'kms:EncryptionContext:aws:sqs:arn': getAtt(id.fallback) },
      }),
      allow(['events:PutEvents'], getAtt(id.bus), { 'ForAllValues:StringEquals': { 'events:source': ['amani'] } }),
      { actions: ['events:StartReplay'], resources: [getAtt(archive), replays], effect: 'Allow' },
      allow(['events:CancelReplay', 'events:DescribeReplay'], replays),
    ]);
    // Assumable by principals of this account that IAM allows to, for one hour at a time.
    const properties = resources(template)[role]!.Properties!;
    expect(properties.MaxSessionDuration).toBe(3600);
    expect(properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } },
        },
      ],
    });
  });

  test('KMS: every grant names the one key, through one service, for one secret or queue', () => {
    const kmsStatements = Object.entries(resources(template))
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy')
      .flatMap(([, resource]) => (resource.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .filter((statement) => [statement.Action].flat().some((action) => String(action).startsWith('kms:')));
    // receiver: token secret + fallback queue + ledger; rotator: token secret + credentials;
    // registration: credentials; operator: fallback queue
    expect(kmsStatements.length).toBe(7);
    for (const statement of kmsStatements) {
      expect(statement.Resource).toEqual(getAtt(id.key));
      const equals = (statement.Condition as { StringEquals: Record<string, unknown> }).StringEquals;
      expect(Object.keys(equals)).toEqual(expect.arrayContaining(['kms:ViaService']));
      expect(Object.keys(equals).some((key) => key.startsWith('kms:EncryptionContext:'))).toBe(true);
      expect([statement.Action].flat().every((action) => ['kms:Decrypt', 'kms:GenerateDataKey'].includes(String(action)))).toBe(true);
    }
  });

  test('the key policy delegates to IAM of this account, and lets EventBridge use the key for this bus only', () => {
    const policy = resources(template)[id.key]!.Properties!.KeyPolicy as { Statement: Record<string, unknown>[] };
    const accountRoot = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] };
    const busArn = regionalArn('events', 'event-bus/amani-webhooks-dev');
    const accounts = policy.Statement.filter((statement) => JSON.stringify(statement.Principal) === JSON.stringify({ AWS: accountRoot }));
    const eventBridge = policy.Statement.filter(
      (statement) => JSON.stringify(statement.Principal) === JSON.stringify({ Service: 'events.amazonaws.com' }),
    );
    expect(accounts.length + eventBridge.length).toBe(policy.Statement.length);
    // The bus (encrypting events, matching rules) and the archive, each bound to this bus by the
    // encryption context EventBridge uses; DescribeKey reveals only the key's metadata.
    expect(eventBridge.map(({ Sid: _sid, ...statement }) => statement)).toEqual([
      {
        Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Resource: '*',
        Condition: {
          StringEquals: {
            'aws:SourceAccount': { Ref: 'AWS::AccountId' },
            'aws:SourceArn': busArn,
            'kms:EncryptionContext:aws:events:event-bus:arn': busArn,
          },
        },
      },
      {
        Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncrypt*'],
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Resource: '*',
        Condition: { StringEquals: { 'kms:EncryptionContext:aws:events:event-bus:arn': busArn } },
      },
      { Action: 'kms:DescribeKey', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Resource: '*' },
    ]);
  });

  test('no statement anywhere uses a service-wide action or a "*" resource', () => {
    for (const [policyId, resource] of Object.entries(resources(template))) {
      if (resource.Type !== 'AWS::IAM::Policy') continue;
      for (const statement of (resource.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement) {
        for (const action of [statement.Action].flat()) expect(`${policyId}: ${String(action)}`).not.toMatch(/(^|:)\*$/);
        expect([statement.Resource].flat()).not.toContain('*');
      }
    }
  });
});

describe('least privilege with an existing credentials secret', () => {
  test('named by name: the ARN pattern matches any suffix, and no KMS grant (AWS managed key)', () => {
    const { template } = synthesize({ credentialsSecret: 'amani/prod/api-credentials' });
    expect(Object.values(resources(template)).filter((r) => r.Type === 'AWS::SecretsManager::Secret')).toHaveLength(1);
    const rotator = logicalId(template, 'AWS::Lambda::Function', 'RotationRotatorFunction');
    const { statements } = roleGrants(template, functionRole(template, rotator));
    const credentials = statements.filter((s) => JSON.stringify(s.resources).includes('amani/prod/api-credentials'));
    expect(credentials).toEqual([
      {
        actions: ['secretsmanager:GetSecretValue'],
        resources: [
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':secretsmanager:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':secret:amani/prod/api-credentials-??????',
              ],
            ],
          },
        ],
        effect: 'Allow',
      },
    ]);
    const env = (resources(template)[rotator]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.CREDENTIALS_SECRET_ID).toBe('amani/prod/api-credentials');
  });

  test('by complete ARN with its own KMS key: Decrypt on that key for that secret only', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:amani/api-credentials-AbCdEf';
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { template } = synthesize({ credentialsSecret: arn, credentialsSecretKmsKeyArn: keyArn });
    const registration = logicalId(template, 'AWS::Lambda::Function', 'AmaniRegistrationHandlerFunction');
    const { statements } = roleGrants(template, functionRole(template, registration));
    expect(statements).toEqual(
      expect.arrayContaining([
        allow(['secretsmanager:GetSecretValue'], arn),
        allow(['kms:Decrypt'], keyArn, {
          StringEquals: { 'kms:ViaService': viaService('secretsmanager'), 'kms:EncryptionContext:SecretARN': arn },
        }),
      ]),
    );
  });
});

describe('least privilege with tracing on', () => {
  test('each function role gains exactly the X-Ray write actions', () => {
    const { template } = synthesize({ tracing: true });
    const receiver = logicalId(template, 'AWS::Lambda::Function', 'ReceiverFunction');
    const { statements } = roleGrants(template, functionRole(template, receiver));
    const wildcard = statements.filter((s) => s.resources.includes('*'));
    expect(wildcard).toEqual([allow(['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], '*')]);
  });
});
