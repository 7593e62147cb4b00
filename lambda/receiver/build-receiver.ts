/**
 * Builds the receiver from its configuration and SDK clients: the secret cache, the adapters and
 * the middy handler. Kept apart from `index.ts` so tests and the local mode build the very same
 * receiver without reading the process environment at import time.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { clientOptions } from '../adapters/aws-clients';
import { EventBridgePublisher } from '../adapters/event-bus';
import { SqsFallbackQueue } from '../adapters/fallback-queue';
import { SecretsManagerTokenStore } from '../adapters/token-secret-store';
import { RefreshingCache } from '../core/refreshing-cache';
import type { TokenSecret } from '../core/token-secret';
import type { ReceiverConfig } from './config';
import { createReceiverHandler } from './handler';

export interface ReceiverClients {
  readonly secretsManager: SecretsManagerClient;
  readonly eventBridge: EventBridgeClient;
  readonly sqs: SQSClient;
}

export function createReceiverClients(): ReceiverClients {
  return {
    secretsManager: new SecretsManagerClient(clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 2 })),
    // One attempt per call: the publisher runs its own retry loop within the publish budget.
    eventBridge: new EventBridgeClient(clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 1500, maxAttempts: 1 })),
    sqs: new SQSClient(clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 1500, maxAttempts: 3 })),
  };
}

/** What tests and the local mode may put in place of the defaults. */
export interface ReceiverOverrides {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Milliseconds since the epoch: the secret cache's clock and the token-expiry clock. */
  readonly clock?: () => number;
  /** How the secret cache waits for its next allowed forced refresh. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export function buildReceiver(config: ReceiverConfig, clients: ReceiverClients, overrides: ReceiverOverrides = {}) {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'amani-webhooks-receiver';
  const logger = overrides.logger ?? new Logger({ serviceName });
  const metrics =
    overrides.metrics ?? new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'AmaniWebhooks', serviceName });
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
  return createReceiverHandler({ config, tokens, bus, fallback, logger, metrics, now: () => new Date(clock()) });
}

