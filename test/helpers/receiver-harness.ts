import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { TokenSecret } from '../../lambda/core/token-secret';
import type { ApiGatewayEvent } from '../../lambda/receiver/api-gateway';
import type { ReceiverConfig } from '../../lambda/receiver/env';
import { buildReceiver, createReceiverClients, type ReceiverOverrides } from '../../lambda/receiver/build-receiver';
import { captureOutput } from './capture-output';
import { fakeLambdaContext } from './lambda-context';

export const TEST_CONFIG: ReceiverConfig = {
  tokenSecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:amani-webhook-token-AbCdEf',
  eventBusName: 'amani-test',
  fallbackQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/amani-fallback',
  authMode: 'signature',
  signatureHeader: 'Webhook-Signature',
  tokenHeader: 'Webhook-Token',
  eventSource: 'amani',
  eventNamePaths: ['event', 'event_type', 'type', 'event_name'],
  deliveryIdPaths: ['delivery_id', 'event_id'],
  maxBodyBytes: 1024 * 1024,
  maxEventBytes: 1024 * 1024,
  secretCacheTtlMs: 300_000,
  secretRefreshMinIntervalMs: 200,
  publishBudgetMs: 2000,
  fallbackBudgetMs: 1000,
  dedupWindowHours: 168,
  dedupBudgetMs: 1000,
  observability: { serviceName: 'receiver-test', metricsNamespace: 'AmaniWebhooksTest', logLevel: 'DEBUG' },
};

/**
 * The real receiver (config, middy handler, adapters, real SDK v3 clients) with the three AWS
 * clients mocked at the client level, and stdout captured for log and metric assertions.
 */
export function receiverHarness(
  options: { config?: Partial<ReceiverConfig>; secret?: TokenSecret } & Pick<ReceiverOverrides, 'clock' | 'sleep'> = {},
) {
  const secretsManager = mockClient(SecretsManagerClient);
  const eventBridge = mockClient(EventBridgeClient);
  const sqs = mockClient(SQSClient);
  let secret: TokenSecret = options.secret ?? { token: 'current-token-0123456789' };
  secretsManager.on(GetSecretValueCommand).callsFake(async () => ({ SecretString: JSON.stringify(secret) }));
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'message-1' });

  const output = captureOutput();
  const config = { ...TEST_CONFIG, ...options.config };
  const handler = buildReceiver(config, createReceiverClients(), { clock: options.clock, sleep: options.sleep });

  return {
    config,
    secretsManager,
    eventBridge,
    sqs,
    output,
    setSecret: (next: TokenSecret) => {
      secret = next;
    },
    invoke: (event: ApiGatewayEvent, remainingMs = 10_000) =>
      handler(event, fakeLambdaContext(remainingMs)) as Promise<APIGatewayProxyResult>,
    publishedEntries: (): PutEventsRequestEntry[] =>
      eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []),
    parkedMessages: () => sqs.commandCalls(SendMessageCommand).map((call) => JSON.parse(call.args[0].input.MessageBody ?? '')),
    secretReads: () => secretsManager.commandCalls(GetSecretValueCommand).length,
    dispose: () => {
      output.restore();
      secretsManager.restore();
      eventBridge.restore();
      sqs.restore();
    },
  };
}

export type ReceiverHarness = ReturnType<typeof receiverHarness>;
