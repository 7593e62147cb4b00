/**
 * Builds the receiver from its configuration and SDK clients: the secret cache, the adapters and
 * the middy handler. Kept apart from `index.ts` so tests and the local mode build the very same
 * receiver without reading the process environment at import time.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { clientOptions, lazyClient } from '../adapters/aws-clients';
import { DynamoDbDeliveryLedger } from '../adapters/delivery-ledger';
import { EventBridgePublisher } from '../adapters/event-bus';
import { SqsFallbackQueue } from '../adapters/fallback-queue';
import { createObservability, type Observability } from '../adapters/observability';
import { SecretsManagerTokenStore } from '../adapters/token-secret-store';
import { RefreshingCache } from '../core/refreshing-cache';
import type { TokenSecret } from '../core/token-secret';
import type { ReceiverConfig } from './env';
import { createReceiverHandler } from './handler';

export interface ReceiverClients {
  readonly secretsManager: SecretsManagerClient;
  readonly eventBridge: EventBridgeClient;
  /** Made on first use: only a delivery the bus refused needs it, and loading it cost every cold start. */
  readonly sqs: () => Promise<SQSClient>;
  readonly dynamodb: DynamoDBClient;
}

export function createReceiverClients(): ReceiverClients {
  return {
    secretsManager: new SecretsManagerClient(clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 2 })),
    // One attempt per call: the publisher runs its own retry loop within the publish budget.
    eventBridge: new EventBridgeClient(clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 1500, maxAttempts: 1 })),
    sqs: lazyClient(async () => {
      const { SQSClient } = await import('@aws-sdk/client-sqs');
      return new SQSClient(clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 1500, maxAttempts: 3 }));
    }),
    // Each ledger call is also bounded as a whole by DEDUP_BUDGET_MS (an abort signal over these attempts).
    dynamodb: new DynamoDBClient(clientOptions({ connectionTimeoutMs: 500, requestTimeoutMs: 800, maxAttempts: 3 })),
  };
}

/** What tests and the local mode may put in place of the defaults. */
export interface ReceiverOverrides {
  /** Logger and metrics; by default the shared factory's, from the configuration. */
  readonly observability?: Observability;
  /** Milliseconds since the epoch: the secret cache's clock and the token-expiry clock. */
  readonly clock?: () => number;
  /** How the secret cache waits for its next allowed forced refresh, and a copy for a concurrent one. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export function buildReceiver(config: ReceiverConfig, clients: ReceiverClients, overrides: ReceiverOverrides = {}) {
  const { logger, metrics } = overrides.observability ?? createObservability(config.observability);
  const clock = overrides.clock ?? Date.now;
  const store = new SecretsManagerTokenStore(clients.secretsManager, config.tokenSecretId);
  const tokens = new RefreshingCache<TokenSecret>({
    load: () => store.read(),
    ttlMs: config.secretCacheTtlMs,
    minForcedRefreshIntervalMs: config.secretRefreshMinIntervalMs,
    now: clock,
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
    onLoad: (kind) => {
      metrics.addMetric('SecretRefreshes', MetricUnit.Count, 1);
      logger.debug('loading token secret', { kind });
    },
    onStaleServed: () => {
      metrics.addMetric('SecretStaleServed', MetricUnit.Count, 1);
      logger.warn('token secret reload failed, using the cached value');
    },
  });
  const bus = new EventBridgePublisher(clients.eventBridge, {
    maxAttempts: 6,
    baseDelayMs: 50,
    maxDelayMs: 800,
    attemptTimeoutMs: 1500,
    onRetry: (attempt, reason) => logger.debug('retrying PutEvents', { attempt, reason }),
  });
  const fallback = new SqsFallbackQueue(clients.sqs, config.fallbackQueueUrl);
  const ledger = config.dedupTableName ? new DynamoDbDeliveryLedger(clients.dynamodb, config.dedupTableName) : undefined;
  return createReceiverHandler({
    config,
    tokens,
    bus,
    fallback,
    ...(ledger ? { ledger } : {}),
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
    logger,
    metrics,
    now: () => new Date(clock()),
  });
}
