import { CfnOutput, Duration, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { RECEIVER_DEFAULTS, toReceiverEnvironment } from '../lambda/receiver/env';
import type { AppConfig } from './config';
import { AmaniRegistration } from './constructs/amani-registration';
import { DeliveryLedgerTable } from './constructs/delivery-ledger';
import { EncryptionKey } from './constructs/encryption-key';
import { WebhookEventBus } from './constructs/event-bus';
import { EventSchemas } from './constructs/event-schemas';
import { FallbackQueue } from './constructs/fallback-queue';
import { HttpWebhookApi } from './constructs/http-webhook-api';
import { AppFunction, retentionDays } from './constructs/lambda-function';
import { Monitoring } from './constructs/monitoring';
import { OperatorRole } from './constructs/operator-role';
import { TokenRotation } from './constructs/token-rotation';
import { TokenSecrets } from './constructs/token-secrets';
import { WebFirewall } from './constructs/web-firewall';
import { WebhookApi, type WebhookEndpoint } from './constructs/webhook-api';
import { WebhookDomain } from './constructs/webhook-domain';

/** The receiver's time budgets (its environment's defaults), from which its timeout is derived. */
export const RECEIVER_PUBLISH_BUDGET_MS = RECEIVER_DEFAULTS.publishBudgetMs;
export const RECEIVER_FALLBACK_BUDGET_MS = RECEIVER_DEFAULTS.fallbackBudgetMs;
export const RECEIVER_DEDUP_BUDGET_MS = RECEIVER_DEFAULTS.dedupBudgetMs;
/**
 * The publish budget, the fallback budget, one more publish budget for waiting on a concurrent
 * copy of the delivery, two ledger calls (claim, settle), and 5 s for the token secret read
 * (bounded by its client: 2 attempts of at most 2 s) and the answer: 3 + 2 + 3 + 2 + 5 = 15 s,
 * well inside API Gateway's 29 s integration timeout, so Amani always gets the receiver's own
 * answer rather than API Gateway's 504.
 */
export const RECEIVER_TIMEOUT = Duration.millis(
  2 * RECEIVER_PUBLISH_BUDGET_MS + RECEIVER_FALLBACK_BUDGET_MS + 2 * RECEIVER_DEDUP_BUDGET_MS + 5000,
);
const API_GATEWAY_INTEGRATION_TIMEOUT = Duration.seconds(29);
if (RECEIVER_TIMEOUT.toMilliseconds() >= API_GATEWAY_INTEGRATION_TIMEOUT.toMilliseconds()) {
  throw new Error("The receiver timeout must stay below API Gateway's 29 s integration timeout");
}

/**
 * Receiver memory: deliveries are at most MAX_BODY_BYTES (1 MiB). One delivery can be held as
 * base64 text, bytes, a parsed object, its Python-json.dumps canonical form and the PutEvents
 * JSON at once (~10x the body), and the HMAC and canonicalisation are CPU-bound: 512 MB gives
 * that headroom and about a third of a vCPU (shorter cold starts and verification) at a
 * negligible cost for webhook volumes.
 */
export const RECEIVER_MEMORY_MB = 512;

/** The largest delivery the receiver takes (its MAX_BODY_BYTES); the web ACL refuses larger declared bodies. */
export const RECEIVER_MAX_BODY_BYTES = RECEIVER_DEFAULTS.maxBodyBytes;

export interface AmaniWebhooksStackProps extends StackProps {
  readonly config: AppConfig;
}

/**
 * One deployment of the pipeline: API Gateway (REST, optionally behind a WAF web ACL, or HTTP;
 * optionally on a custom domain) -> receiver -> EventBridge bus (+ archive), the fallback queue,
 * both secrets, the bus and the archive under one KMS key, the scheduled rotator, the operator
 * role, Amani registration at deploy time, alarms and a dashboard. Environment-agnostic (no
 * lookups): synthesises offline.
 */
export class AmaniWebhooksStack extends Stack {
  constructor(scope: Construct, id: string, props: AmaniWebhooksStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = retentionDays(config.logRetentionDays);
    Tags.of(this).add('project', 'amani-webhooks');
    Tags.of(this).add('stage', config.stage);
    // Production keeps what cannot be recreated: parked deliveries, the bus and its archive, the
    // delivery ledger, both secrets and the key they are encrypted with. Everything else is cheap
    // to tear down.
    const dataRemoval = config.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const key = new EncryptionKey(this, 'Encryption', { stage: config.stage, removalPolicy: dataRemoval }).key;
    const secrets = new TokenSecrets(this, 'Secrets', {
      stage: config.stage,
      key,
      credentialsSecret: config.credentialsSecret,
      credentialsSecretKmsKeyArn: config.credentialsSecretKmsKeyArn,
      removalPolicy: dataRemoval,
    });
    const events = new WebhookEventBus(this, 'Events', {
      stage: config.stage,
      eventSource: config.eventSource,
      archiveRetentionDays: config.archiveRetentionDays,
      key,
      removalPolicy: dataRemoval,
    });
    const schemas = new EventSchemas(this, 'EventSchemas', { stage: config.stage, eventSource: config.eventSource });
    const fallback = new FallbackQueue(this, 'Fallback', { key, removalPolicy: dataRemoval });
    const ledger = new DeliveryLedgerTable(this, 'Deliveries', {
      stage: config.stage,
      key,
      pointInTimeRecovery: config.production,
      removalPolicy: dataRemoval,
    });

    const receiver = new AppFunction(this, 'Receiver', {
      entry: 'lambda/receiver/index.ts',
      description: 'amani-webhooks receiver: verifies Amani deliveries and publishes them to EventBridge',
      memorySize: RECEIVER_MEMORY_MB,
      timeout: RECEIVER_TIMEOUT,
      logRetentionDays: logRetention,
      tracing: config.tracing,
      // Caps what slow dependencies or a flood can take of the account's Lambda concurrency
      // (docs/deployment.md, "Receiver concurrency"); 0 leaves the receiver unreserved.
      reservedConcurrentExecutions: config.receiverReservedConcurrency > 0 ? config.receiverReservedConcurrency : undefined,
      environment: toReceiverEnvironment({
        tokenSecretId: secrets.tokenSecret.secretArn,
        eventBusName: events.bus.eventBusName,
        fallbackQueueUrl: fallback.queue.queueUrl,
        authMode: config.authMode,
        signatureHeader: config.signatureHeader,
        tokenHeader: config.tokenHeader,
        eventSource: config.eventSource,
        eventNamePaths: config.eventNamePaths,
        deliveryIdPaths: config.deliveryIdPaths,
        maxBodyBytes: RECEIVER_MAX_BODY_BYTES,
        secretCacheTtlMs: config.secretCacheTtlSeconds * 1000,
        publishBudgetMs: RECEIVER_PUBLISH_BUDGET_MS,
        fallbackBudgetMs: RECEIVER_FALLBACK_BUDGET_MS,
        dedupTableName: ledger.table.tableName,
        dedupWindowHours: config.dedupWindowHours,
        dedupBudgetMs: RECEIVER_DEDUP_BUDGET_MS,
        observability: { serviceName: RECEIVER_DEFAULTS.serviceName, metricsNamespace: config.metricsNamespace, logLevel: config.logLevel },
      }),
    });
    secrets.grantReadToken(receiver.role);
    events.grantPutEvents(receiver.role);
    fallback.grantSendMessages(receiver.role);
    ledger.grantDeduplication(receiver.role);

    // The config sets the per-IP limit exactly when the stack's web ACL is on.
    const firewall =
      config.waf && config.wafRequestsPerIpPerMinute !== undefined
        ? new WebFirewall(this, 'Firewall', {
            stage: config.stage,
            requestsPerIpPerMinute: config.wafRequestsPerIpPerMinute,
            maxBodyBytes: RECEIVER_MAX_BODY_BYTES,
          })
        : undefined;
    const api: WebhookEndpoint =
      config.api === 'http'
        ? new HttpWebhookApi(this, 'WebhookHttpApi', {
            stage: config.stage,
            receiver: receiver.function,
            throttlingRateLimit: config.throttlingRateLimit,
            throttlingBurstLimit: config.throttlingBurstLimit,
            logRetentionDays: logRetention,
          })
        : new WebhookApi(this, 'WebhookApi', {
            stage: config.stage,
            receiver: receiver.function,
            throttlingRateLimit: config.throttlingRateLimit,
            throttlingBurstLimit: config.throttlingBurstLimit,
            tracing: config.tracing,
            logRetentionDays: logRetention,
            webAclArn: firewall?.webAcl.attrArn ?? config.webAclArn,
            allowedSourceCidrs: config.allowedSourceCidrs,
            cloudWatchRole: config.apiGatewayCloudWatchRole,
          });
    // The URL registered with Amani: the custom domain's when there is one, so it survives
    // replacing the API.
    const domain =
      config.domainName && config.certificateArn
        ? new WebhookDomain(this, 'WebhookDomain', {
            domainName: config.domainName,
            certificateArn: config.certificateArn,
            hostedZoneId: config.hostedZoneId,
            endpoint: api,
          })
        : undefined;
    const webhookUrl = domain?.webhookUrl ?? api.webhookUrl;

    // Only the receiver and the operator role may put the product's events on the bus.
    const operator = new OperatorRole(this, 'Operator', { stage: config.stage, events, fallback });
    events.restrictSourceTo([receiver.role, operator.role]);

    const rotation = new TokenRotation(this, 'Rotation', {
      secrets,
      amaniBaseUrl: config.amaniBaseUrl,
      rotationSchedule: config.rotationSchedule,
      previousTokenGraceMinutes: config.previousTokenGraceMinutes,
      rotationIntervalHours: config.rotationIntervalHours,
      metricsNamespace: config.metricsNamespace,
      logLevel: config.logLevel,
      logRetentionDays: logRetention,
      tracing: config.tracing,
    });

    // Only the rotator writes the token; the registration asks the rotator to.
    secrets.restrictTokenWritesTo([rotation.rotator.role]);

    const registration = new AmaniRegistration(this, 'AmaniRegistration', {
      secrets,
      rotator: rotation.rotator.function,
      webhookUrl,
      amaniBaseUrl: config.amaniBaseUrl,
      signatureEnabled: config.authMode === 'signature',
      events: config.events,
      disableEventsOnDelete: config.disableEventsOnDelete,
      metricsNamespace: config.metricsNamespace,
      logLevel: config.logLevel,
      logRetentionDays: logRetention,
      tracing: config.tracing,
      // Amani may deliver as soon as it knows the URL: the receiver's permissions, the rotator
      // (which the registration invokes) and the custom domain with its DNS record must be in
      // place first.
      dependsOn: [rotation.rotator, receiver, ...(domain ? [domain] : [])],
    });

    const monitoring = new Monitoring(this, 'Monitoring', {
      stage: config.stage,
      metricsNamespace: config.metricsNamespace,
      api: api.metrics,
      receiver: receiver.function,
      rotator: rotation.rotator.function,
      fallbackQueue: fallback.queue,
      eventBusDeadLetterQueue: events.deadLetterQueue,
      rotationFailureQueue: rotation.failureQueue,
      authFailureAlarmThreshold: config.authFailureAlarmThreshold,
      rotationOverdueAfterHours: config.rotationOverdueAfterHours,
      noTrafficAlarmHours: config.noTrafficAlarmHours,
      alarmTopicArn: config.alarmTopicArn,
    });

    // Output keys are an interface: the CLI discovers the deployment by these exact names.
    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('WebhookUrl', webhookUrl, 'URL registered with Amani (POST)');
    output('ApiType', api.type, 'API Gateway type in front of the receiver: rest or http');
    if (domain) {
      output(
        'CustomDomainTarget',
        domain.regionalDomainName,
        `Point ${config.domainName} here (CNAME or alias) unless hostedZoneId was given`,
      );
    }
    if (firewall) output('WebAclArn', firewall.webAcl.attrArn, "The stack's WAF web ACL on the API stage");
    output('OperatorRoleArn', operator.role.roleArn, 'Assume it to redrive the fallback queue and replay the archive');
    output('EventBusName', events.bus.eventBusName, 'EventBridge bus with one event per accepted delivery');
    output('EventBusArn', events.bus.eventBusArn, 'ARN of that bus');
    output('ArchiveName', events.archive.archiveName, 'Archive of the bus, for npx amani-webhooks replay (aws events start-replay)');
    output('ArchiveArn', events.archive.archiveArn, 'ARN of that archive (the replay source)');
    output('DeliveryLedgerTableName', ledger.table.tableName, 'Delivery ledger and deduplication store (npx amani-webhooks deliveries)');
    output(
      'DeliveryLedgerReadPolicyArn',
      ledger.readPolicy.managedPolicyArn,
      "Managed policy to attach to an operator's role: read the delivery ledger",
    );
    output('DedupWindowHours', String(config.dedupWindowHours), 'A delivery id is published at most once within this many hours');
    output('EventSource', config.eventSource, 'EventBridge source of every event the receiver publishes');
    output('SchemaRegistryName', schemas.registry.attrRegistryName, 'EventBridge Schema Registry with one schema per detail-type');
    output('TokenSecretArn', secrets.tokenSecret.secretArn, 'Webhook token secret (written by the rotator)');
    output(
      'CredentialsSecretArn',
      secrets.credentials.secretArn,
      secrets.createdCredentialsSecret
        ? 'Amani API credentials secret created by this stack: fill with {"username","password"} or {"userToken"}'
        : 'Amani API credentials secret (existing; a partial ARN when named by name)',
    );
    output('FallbackQueueUrl', fallback.queue.queueUrl, 'Deliveries the bus refused, to redrive');
    output(
      'RotatorFunctionName',
      rotation.rotator.function.functionName,
      'Rotator: {"action":"sync"}, {"action":"rotate","force":true}, {"action":"rotate","revokePrevious":true}',
    );
    output(
      'RegistrationFunctionName',
      registration.handler.function.functionName,
      'Invoke with {"action":"register"} after filling the credentials secret',
    );
    output('RegistrationStatus', registration.statusMessage, 'Result of the registration with Amani at the last deploy');
    output('RotationFailureQueueUrl', rotation.failureQueue.queueUrl, 'Rotator invocations given up by the scheduler or Lambda');
    output('MetricsNamespace', config.metricsNamespace, 'CloudWatch namespace of the receiver and rotator metrics');
    output('DashboardName', monitoring.dashboard.dashboardName, 'CloudWatch dashboard');
    output('AmaniBaseUrl', config.amaniBaseUrl, 'Amani region the rotator and the CLI talk to');
    output('AuthMode', config.authMode, 'How deliveries authenticate: signature or token');
    output('SignatureHeader', config.signatureHeader, 'Header carrying the HMAC in signature mode');
    output('TokenHeader', config.tokenHeader, 'Header carrying the token in token mode');
    output(
      'SecretCacheTtlSeconds',
      String(config.secretCacheTtlSeconds),
      'A replaced or revoked token is refused by every receiver within this many seconds',
    );
  }
}
