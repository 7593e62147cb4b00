import { describe, expect, test } from '@jest/globals';
import { STACK_OUTPUTS } from '../../local/deployed-stack';
import { Match } from 'aws-cdk-lib/assertions';
import { ACCESS_LOG_FIELDS } from '../../infra/constructs/webhook-api';
import { SYNC_INTERVAL_MINUTES, SYNC_SCHEDULE } from '../../infra/constructs/token-rotation';
import { SCHEDULED_SYNC_MINUTES } from '../../cli/rotation-outcome';
import { getAtt, logicalId, ref, regionalArn, resources, synthesize, stackResourceIds } from './stack-harness';

const RUNTIME = 'nodejs24.x';

/** The bus ARN as the stack builds it from the bus name. */
const BUS_ARN = regionalArn('events', 'event-bus/amani-webhooks-dev');

describe('the default stack', () => {
  const { stack, template } = synthesize();
  const all = resources(template);
  const id = stackResourceIds(template);
  const env = (fn: string) => (all[fn]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

  test('is environment-agnostic and named AmaniWebhooks-<stage>', () => {
    expect(stack.stackName).toBe('AmaniWebhooks-dev');
    expect(stack.environment).toBe('aws://unknown-account/unknown-region');
  });

  test('outputs: the keys the CLI discovers the deployment by', () => {
    const outputs = Object.keys(template.toJSON().Outputs as object);
    expect(outputs).toEqual(
      expect.arrayContaining([
        // Every output the CLI needs (cli/target.ts), plus the operator-facing ones.
        ...STACK_OUTPUTS,
        'SignatureHeader',
        'TokenHeader',
        'EventBusArn',
        'ArchiveName',
        // Read by deliveries, delivery and replay (optional outputs: a stack deployed before them says to redeploy).
        'ArchiveArn',
        'DeliveryLedgerTableName',
        'RegistrationFunctionName',
        'RegistrationStatus',
      ]),
    );
    template.hasOutput('EventBusName', { Value: ref(id.bus) });
    template.hasOutput('EventBusArn', { Value: getAtt(id.bus) });
    template.hasOutput('TokenSecretArn', { Value: ref(id.tokenSecret) });
    template.hasOutput('CredentialsSecretArn', { Value: ref(id.credentials) });
    template.hasOutput('FallbackQueueUrl', { Value: ref(id.fallback) });
    template.hasOutput('RotatorFunctionName', { Value: ref(id.rotator) });
    template.hasOutput('RegistrationStatus', { Value: getAtt(id.registrationResource, 'Message') });
    template.hasOutput('AmaniBaseUrl', { Value: 'https://eu.amani.ai' });
    template.hasOutput('AuthMode', { Value: 'signature' });
    template.hasOutput('WebhookUrl', { Value: { 'Fn::Join': ['', Match.arrayWith([ref(id.api), Match.stringLikeRegexp('/webhook$')])] } });
  });

  describe('API Gateway', () => {
    test('regional REST API that passes every body through base64 (byte-exact)', () => {
      template.hasResourceProperties('AWS::ApiGateway::RestApi', {
        Name: 'amani-webhooks-dev',
        EndpointConfiguration: { Types: ['REGIONAL'] },
        BinaryMediaTypes: ['*/*'],
      });
    });

    test('one route, POST /webhook, Lambda proxy to the receiver, no other method', () => {
      template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'webhook' });
      const methods = template.findResources('AWS::ApiGateway::Method');
      expect(Object.values(methods).map((method) => method.Properties.HttpMethod)).toEqual(['POST']);
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'POST',
        AuthorizationType: 'NONE',
        Integration: {
          Type: 'AWS_PROXY',
          IntegrationHttpMethod: 'POST',
          Uri: { 'Fn::Join': ['', Match.arrayWith([getAtt(id.receiver)])] },
        },
      });
      // Only the deployed stage may invoke the receiver (no test-invoke permission).
      const permissions = template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: getAtt(id.receiver) } });
      expect(Object.keys(permissions)).toHaveLength(1);
    });

    test('stage throttling from context, execution logs at ERROR without data trace', () => {
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'v1',
        TracingEnabled: false,
        MethodSettings: [
          {
            HttpMethod: '*',
            ResourcePath: '/*',
            ThrottlingRateLimit: 50,
            ThrottlingBurstLimit: 100,
            LoggingLevel: 'ERROR',
            DataTraceEnabled: false,
            MetricsEnabled: false,
          },
        ],
      });
      const throttled = synthesize({ throttlingRateLimit: '5', throttlingBurstLimit: '7' }).template;
      throttled.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 7 })],
      });
    });

    test('access logs: JSON of request metadata only, never bodies, headers or query strings', () => {
      const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]!;
      const setting = stage.Properties.AccessLogSetting as { Format: string; DestinationArn: unknown };
      const format = JSON.parse(setting.Format) as Record<string, string>;
      expect(format).toEqual(ACCESS_LOG_FIELDS);
      expect(format.requestId).toBe('$context.requestId');
      expect(format.status).toBe('$context.status');
      const allowed = new Set([
        '$context.requestId',
        '$context.extendedRequestId',
        '$context.requestTime',
        '$context.httpMethod',
        '$context.resourcePath',
        '$context.protocol',
        '$context.status',
        '$context.responseLength',
        '$context.responseLatency',
        '$context.integrationStatus',
        '$context.integrationLatency',
        '$context.error.message',
        '$context.error.responseType',
        '$context.identity.sourceIp',
        '$context.identity.userAgent',
        '$context.xrayTraceId',
      ]);
      for (const value of Object.values(format)) expect(allowed).toContain(value);
      expect(setting.Format).not.toMatch(/\$input|\$method|header|querystring|requestOverride|authorizer|body|\$context\.path/i);
      const group = logicalId(template, 'AWS::Logs::LogGroup', 'WebhookApiAccessLogs');
      expect(setting.DestinationArn).toEqual(getAtt(group));
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    });

    test('the account-level CloudWatch role is created and retained, or left to the account', () => {
      template.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
      const without = synthesize({ apiGatewayCloudWatchRole: false }).template;
      without.resourceCountIs('AWS::ApiGateway::Account', 0);
    });

    test('a web ACL is associated with the stage when webAclArn is set', () => {
      template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
      const webAclArn = 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/amani/abc';
      synthesize({ webAclArn }).template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: webAclArn });
    });
  });

  describe('functions', () => {
    test.each([
      ['receiver', 'ReceiverFunction', 512, 15],
      ['rotator', 'RotationRotatorFunction', 256, 120],
      ['registration', 'AmaniRegistrationHandlerFunction', 256, 300],
    ])(
      '%s: pinned Node.js 24 on arm64, handler export, memory, timeout, own log group with retention',
      (_name, prefix, memory, timeout) => {
        const fn = logicalId(template, 'AWS::Lambda::Function', prefix);
        expect(all[fn]!.Properties).toMatchObject({
          Runtime: RUNTIME,
          Architectures: ['arm64'],
          Handler: 'index.handler',
          MemorySize: memory,
          Timeout: timeout,
          LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/Logs/) } },
        });
        expect(all[fn]!.Properties!.TracingConfig).toBeUndefined();
        // The functions log no stack traces: no source maps to read at cold start.
        expect(env(fn).NODE_OPTIONS).toBeUndefined();
        const logGroup = (all[fn]!.Properties!.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
        expect(all[logGroup]!.Properties).toMatchObject({ RetentionInDays: 90 });
      },
    );

    test('tracing is switchable by context (functions and API stage)', () => {
      const traced = synthesize({ tracing: 'true' }).template;
      const functions = Object.values(traced.findResources('AWS::Lambda::Function')).filter(
        (fn) => fn.Properties.Runtime === RUNTIME && !String(fn.Properties.Handler).startsWith('framework'),
      );
      expect(functions).toHaveLength(3);
      for (const fn of functions) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      traced.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
    });

    test('the rotator runs one at a time and sends failed asynchronous runs to the failure queue', () => {
      expect(all[id.rotator]!.Properties!.ReservedConcurrentExecutions).toBe(1);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(id.rotator),
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: getAtt(id.failures) } },
      });
    });
  });

  describe('secrets and encryption', () => {
    test('one customer-managed key with automatic rotation', () => {
      template.resourceCountIs('AWS::KMS::Key', 1);
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });

    test('the token secret is created without a value CloudFormation could leak: a placeholder that parses to "not bootstrapped"', () => {
      expect(all[id.tokenSecret]!.Properties).toMatchObject({
        KmsKeyId: getAtt(id.key),
        GenerateSecretString: { SecretStringTemplate: '{}', GenerateStringKey: 'bootstrapPlaceholder' },
      });
      expect(all[id.tokenSecret]!.Properties!.SecretString).toBeUndefined();
      // What the receiver and rotator make of such a value:
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { parseTokenSecret } = require('../../lambda/core/token-secret') as typeof import('../../lambda/core/token-secret');
      expect(parseTokenSecret(JSON.stringify({ bootstrapPlaceholder: 'Zx81kP0qLm2Nf7Ty' }))).toEqual({});
    });

    test('the credentials secret is created empty (placeholder) unless an existing one is named', () => {
      expect(all[id.credentials]!.Properties).toMatchObject({
        KmsKeyId: getAtt(id.key),
        GenerateSecretString: { SecretStringTemplate: '{}', GenerateStringKey: 'bootstrapPlaceholder' },
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { parseAmaniCredentials } =
        require('../../lambda/adapters/amani-credentials') as typeof import('../../lambda/adapters/amani-credentials');
      expect(() => parseAmaniCredentials(JSON.stringify({ bootstrapPlaceholder: 'Zx81kP0qLm2Nf7Ty' }))).toThrow('has neither shape');

      const existing = synthesize({ credentialsSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:amani-AbCdEf' }).template;
      existing.resourceCountIs('AWS::SecretsManager::Secret', 1);
      existing.hasOutput('CredentialsSecretArn', { Value: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:amani-AbCdEf' });
    });
  });

  describe('EventBridge', () => {
    test('a custom bus and an archive of every published delivery with the configured retention', () => {
      template.hasResourceProperties('AWS::Events::EventBus', { Name: 'amani-webhooks-dev' });
      template.hasResourceProperties('AWS::Events::Archive', {
        ArchiveName: 'amani-webhooks-dev',
        SourceArn: BUS_ARN,
        EventPattern: { source: ['amani'] },
        RetentionDays: 30,
      });
      const forever = synthesize({ archiveRetentionDays: 0, eventSource: 'kyc' }).template;
      const archive = Object.values(forever.findResources('AWS::Events::Archive'))[0]!;
      // 0 is EventBridge's "keep indefinitely".
      expect(archive.Properties.RetentionDays ?? 0).toBe(0);
      expect(archive.Properties.EventPattern).toEqual({ source: ['kyc'] });
    });
  });

  describe('delivery ledger', () => {
    test('on demand, keyed by delivery id, TTL on expiresAt, the stack key, a day/time index; no point-in-time recovery off production', () => {
      expect(all[id.ledger]!.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'deliveryId', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: getAtt(id.key) },
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byDay',
            KeySchema: [
              { AttributeName: 'day', KeyType: 'HASH' },
              { AttributeName: 'receivedAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['eventName'] },
          },
        ],
      });
      expect(all[id.ledger]!.Properties!.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: false });
      template.hasOutput('DeliveryLedgerTableName', { Value: ref(id.ledger) });
      template.hasOutput('DeliveryLedgerReadPolicyArn', { Value: ref(id.ledgerReadPolicy) });
      template.hasOutput('DedupWindowHours', { Value: '168' });
      template.hasOutput('ArchiveArn', { Value: getAtt(logicalId(template, 'AWS::Events::Archive', 'EventsArchive')) });
    });

    test('production: point-in-time recovery on; the window follows dedupWindowHours', () => {
      const prod = synthesize({ stage: 'prod', alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall', dedupWindowHours: 72 }).template;
      prod.hasResourceProperties('AWS::DynamoDB::Table', { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
      prod.hasOutput('DedupWindowHours', { Value: '72' });
    });
  });

  describe('fallback queue', () => {
    test('encrypted with the stack key, 14 days, TLS only, no redrive to a further queue', () => {
      expect(all[id.fallback]!.Properties).toMatchObject({ KmsMasterKeyId: getAtt(id.key), MessageRetentionPeriod: 14 * 24 * 3600 });
      expect(all[id.fallback]!.Properties!.RedrivePolicy).toBeUndefined();
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(id.fallback)],
        PolicyDocument: {
          Statement: [Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
        },
      });
    });
  });

  describe('rotation schedule', () => {
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));
    const byPayload = (payload: string) => schedules.find((schedule) => schedule.Properties.Target.Input === payload)!;

    test('the rotation schedule invokes {"action":"rotate"} with the configured expression and a retry policy', () => {
      expect(byPayload('{"action":"rotate"}').Properties).toMatchObject({
        ScheduleExpression: 'rate(30 days)',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: getAtt(id.rotator),
          RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: getAtt(id.failures) },
        },
      });
      const cron = synthesize({ rotationSchedule: 'cron(0 3 1 * ? *)' }).template;
      cron.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 3 1 * ? *)',
        Target: Match.objectLike({ Input: '{"action":"rotate"}' }),
      });
    });

    test('{"action":"sync"} every 15 minutes reconciles the secret and feeds the rotation-overdue alarm', () => {
      expect(byPayload('{"action":"sync"}').Properties).toMatchObject({
        ScheduleExpression: 'rate(15 minutes)',
        Target: { Arn: getAtt(id.rotator), DeadLetterConfig: { Arn: getAtt(id.failures) } },
      });
      expect(schedules).toHaveLength(2);
      expect(SYNC_SCHEDULE).toBe('rate(15 minutes)');
      // What the CLI tells an operator about when a failed rotation heals by itself.
      expect(SCHEDULED_SYNC_MINUTES).toBe(SYNC_INTERVAL_MINUTES);
    });

    test('the failure queue is encrypted and TLS-only', () => {
      expect(all[id.failures]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    });
  });

  describe('registration with Amani (custom resource)', () => {
    test('carries the URL, signature_enabled, the events and the delete behaviour; runs after the functions exist', () => {
      const resource = all[id.registrationResource]!;
      expect(resource.Properties).toMatchObject({
        AmaniBaseUrl: 'https://eu.amani.ai',
        CredentialsSecretId: ref(id.credentials),
        SignatureEnabled: 'true',
        EnabledEvents:
          'profile_create,profile_update,profile_status_change,profile_level_update,document_upload,document_delete,document_update,document_status_change,zip_file_create,video_call_status_change',
        DisableEventsOnDelete: 'true',
        AccountClaimPath: '/amani-webhooks/account-claims',
      });
      template.hasResourceProperties('Custom::AmaniWebhookRegistration', {
        WebhookUrl: { 'Fn::Join': ['', Match.arrayWith([ref(id.api), Match.stringLikeRegexp('/webhook$')])] },
      });
      expect(resource.DependsOn).toEqual(
        expect.arrayContaining([
          id.rotator,
          id.receiver,
          expect.stringMatching(/^RotationRotatorRoleDefaultPolicy/),
          expect.stringMatching(/^ReceiverRoleDefaultPolicy/),
        ]),
      );
    });

    test('events and the delete behaviour follow context', () => {
      const custom = synthesize({ events: 'profile_status_change,document_status_change', disableEventsOnDelete: 'false' }).template;
      custom.hasResourceProperties('Custom::AmaniWebhookRegistration', {
        EnabledEvents: 'profile_status_change,document_status_change',
        DisableEventsOnDelete: 'false',
      });
    });

    test('the provider framework runs with its own role: its log group and invoking the registration function only', () => {
      const provider = Object.entries(all).find(
        ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties!.Handler === 'framework.onEvent',
      )!;
      const role = (provider[1].Properties!.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      expect(all[role]!.Properties!.ManagedPolicyArns).toBeUndefined();
      expect(provider[1].Properties!.Runtime).toBe(RUNTIME);
    });
  });
});

describe('production stages keep their data', () => {
  const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:oncall';
  const kept = (template: ReturnType<typeof synthesize>['template']) => {
    const id = stackResourceIds(template);
    const all = resources(template) as Record<string, { DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
    const queuePolicy = logicalId(template, 'AWS::SQS::QueuePolicy', 'FallbackQueuePolicy');
    const archive = logicalId(template, 'AWS::Events::Archive', 'EventsArchive');
    const data = [id.key, id.tokenSecret, id.credentials, id.bus, archive, id.fallback, queuePolicy, id.ledger];
    return { all, data, id };
  };

  test.each([
    ['stage=prod', { stage: 'prod', alarmTopicArn: TOPIC }],
    ['production=true on another stage', { stage: 'eu-live', production: 'true', alarmTopicArn: TOPIC }],
  ])(
    '%s: key, both secrets, bus, archive, fallback queue (and its TLS policy), delivery ledger are retained; termination protection on',
    (_name, context) => {
      const { stack, template } = synthesize(context);
      const { all, data, id } = kept(template);
      for (const logical of data)
        expect({ logical, ...all[logical] }).toMatchObject({ logical, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(stack.terminationProtection).toBe(true);
      // What can be recreated stays cheap to delete.
      for (const logical of [id.receiver, id.rotator, id.failures, id.api]) expect(all[logical]!.DeletionPolicy ?? 'Delete').toBe('Delete');
    },
  );

  test('a non-production stage deletes them with the stack, without termination protection', () => {
    const { stack, template } = synthesize({ stage: 'dev' });
    const { all, data } = kept(template);
    for (const logical of data) expect(all[logical]!.DeletionPolicy ?? 'Delete').toBe('Delete');
    expect(stack.terminationProtection).toBe(false);
  });

  test('the termination protection reaches the cloud assembly (what cdk deploy applies)', () => {
    const { app } = synthesize({ stage: 'prod', alarmTopicArn: TOPIC });
    const artifact = app.synth().getStackByName('AmaniWebhooks-prod');
    expect(artifact.terminationProtection).toBe(true);
  });
});
