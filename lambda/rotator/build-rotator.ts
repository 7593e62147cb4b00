/**
 * Builds the rotator from its configuration, the Secrets Manager client and `fetch`: the token
 * store, the Amani client (credentials read on every run, so a changed password is picked up
 * without a cold start) and the middy handler. Kept apart from `index.ts` so that tests and the
 * local mode build the very same rotator without reading the process environment at import.
 */
import { randomUUID } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SsmAccountClaimStore } from '../adapters/account-claim-store';
import { createAmaniClient } from '../adapters/amani-client';
import { readAmaniCredentials } from '../adapters/amani-credentials';
import { clientOptions } from '../adapters/aws-clients';
import { createObservability, type Observability } from '../adapters/observability';
import { SecretsManagerTokenStore } from '../adapters/token-secret-store';
import { realRetryEnvironment, retryWithinBudget, type RetryEnvironment } from '../core/retry';
import { amaniAccountKey } from '../core/account-claim';
import type { RotatorConfig } from './env';
import { createRotatorHandler } from './handler';
import { isRetryableSecretError, type AmaniConnection } from './rotate-token';

export interface RotatorClients {
  readonly secretsManager: SecretsManagerClient;
  /** Reads the Amani account claim (only when the configuration names the stack). */
  readonly ssm?: SSMClient;
}

export function createRotatorClients(): RotatorClients {
  return {
    // One SDK attempt per call: the rotation runs its own retry loop (one idempotency key per write).
    secretsManager: new SecretsManagerClient(clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 3000, maxAttempts: 1 })),
    ssm: new SSMClient(clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 3000, maxAttempts: 3 })),
  };
}

export interface RotatorOptions {
  /** Logger and metrics; by default the shared factory's, from the configuration. */
  readonly observability?: Observability;
  /** Amani's HTTP client; Node's global fetch by default. */
  readonly fetch?: typeof fetch;
  /** Clock, sleep and randomness of every retry loop (tests pass a fast one). */
  readonly retryEnvironment?: RetryEnvironment;
  readonly now?: () => Date;
  readonly newIdempotencyKey?: () => string;
}

export function buildRotator(config: RotatorConfig, clients: RotatorClients, options: RotatorOptions = {}) {
  const { logger, metrics } = options.observability ?? createObservability(config.observability);
  const retryEnvironment = options.retryEnvironment ?? realRetryEnvironment;
  const store = new SecretsManagerTokenStore(clients.secretsManager, config.tokenSecretId);

  const connectAmani = async (): Promise<AmaniConnection> => {
    const read = await retryWithinBudget(
      {
        budgetMs: Math.min(config.storeRetryBudgetMs, 10_000),
        maxAttempts: 4,
        baseDelayMs: 200,
        maxDelayMs: 2000,
        attempt: async () => {
          try {
            return { done: true, value: await readAmaniCredentials(clients.secretsManager, config.credentialsSecretId) };
          } catch (error) {
            return { done: false, retryable: isRetryableSecretError(error), error };
          }
        },
      },
      retryEnvironment,
    );
    if (!read.ok) throw read.error;
    const api = createAmaniClient({
      baseUrl: config.amaniBaseUrl,
      credentials: read.value,
      timeoutMs: config.amaniTimeoutMs,
      retryEnvironment,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    return { api, accountKey: amaniAccountKey(config.amaniBaseUrl, read.value) };
  };

  return createRotatorHandler({
    config,
    store,
    connectAmani,
    ...(config.stack && clients.ssm ? { accountClaim: { holder: config.stack, store: new SsmAccountClaimStore(clients.ssm) } } : {}),
    logger,
    metrics,
    now: options.now ?? (() => new Date()),
    newIdempotencyKey: options.newIdempotencyKey ?? randomUUID,
    retryEnvironment,
  });
}
